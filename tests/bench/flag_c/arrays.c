/* Array algorithms for the FLAG dev corpus (written for Linewright, public domain). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int binary_search(const int *a, size_t n, int key)
{
    size_t lo = 0;
    size_t hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < key) {
            lo = mid + 1;
        } else if (a[mid] > key) {
            hi = mid;
        } else {
            return (int)mid;
        }
    }
    return -1;
}

void insertion_sort(int *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        int key = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > key) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = key;
    }
}

int max_element(const int *a, size_t n)
{
    int best = a[0];
    for (size_t i = 1; i < n; i++) {
        if (a[i] > best) {
            best = a[i];
        }
    }
    return best;
}

long sum_array(const int *a, size_t n)
{
    long total = 0;
    for (size_t i = 0; i < n; i++) {
        total += a[i];
    }
    return total;
}

void reverse_array(int *a, size_t n)
{
    if (n < 2) {
        return;
    }
    size_t i = 0;
    size_t j = n - 1;
    while (i < j) {
        int tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
        i++;
        j--;
    }
}

size_t remove_duplicates(int *a, size_t n)
{
    if (n == 0) {
        return 0;
    }
    size_t out = 1;
    for (size_t i = 1; i < n; i++) {
        if (a[i] != a[out - 1]) {
            a[out] = a[i];
            out++;
        }
    }
    return out;
}

void rotate_left(int *a, size_t n, size_t k)
{
    if (n == 0) {
        return;
    }
    k %= n;
    int *tmp = malloc(k * sizeof *tmp);
    if (tmp == NULL) {
        return;
    }
    memcpy(tmp, a, k * sizeof *tmp);
    memmove(a, a + k, (n - k) * sizeof *a);
    memcpy(a + n - k, tmp, k * sizeof *tmp);
    free(tmp);
}

void matrix_multiply(const double *a, const double *b, double *c, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            double sum = 0.0;
            for (int k = 0; k < n; k++) {
                sum += a[i * n + k] * b[k * n + j];
            }
            c[i * n + j] = sum;
        }
    }
}

int count_in_range(const int *a, size_t n, int lo, int hi)
{
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] >= lo && a[i] <= hi) {
            count++;
        }
    }
    return count;
}

void merge_sorted(const int *a, size_t na, const int *b, size_t nb, int *out)
{
    size_t i = 0;
    size_t j = 0;
    size_t k = 0;
    while (i < na && j < nb) {
        if (a[i] <= b[j]) {
            out[k++] = a[i++];
        } else {
            out[k++] = b[j++];
        }
    }
    while (i < na) {
        out[k++] = a[i++];
    }
    while (j < nb) {
        out[k++] = b[j++];
    }
}

double average(const double *values, size_t n)
{
    double total = 0.0;
    if (n == 0) {
        return 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        total += values[i];
    }
    return total / (double)n;
}
