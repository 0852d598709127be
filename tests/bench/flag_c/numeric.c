/* Numeric and bit helpers for the FLAG dev corpus (written for Linewright, public domain). */
#include <stdint.h>
#include <stddef.h>

unsigned gcd(unsigned a, unsigned b)
{
    while (b != 0) {
        unsigned t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int is_prime(unsigned n)
{
    if (n < 2) {
        return 0;
    }
    for (unsigned d = 2; d * d <= n; d++) {
        if (n % d == 0) {
            return 0;
        }
    }
    return 1;
}

unsigned long power_mod(unsigned long base, unsigned long exp, unsigned long mod)
{
    unsigned long result = 1;
    base %= mod;
    while (exp > 0) {
        if (exp & 1) {
            result = result * base % mod;
        }
        base = base * base % mod;
        exp >>= 1;
    }
    return result;
}

int popcount32(uint32_t x)
{
    int count = 0;
    while (x != 0) {
        x &= x - 1;
        count++;
    }
    return count;
}

uint32_t adler32(const unsigned char *data, size_t len)
{
    uint32_t a = 1;
    uint32_t b = 0;
    for (size_t i = 0; i < len; i++) {
        a = (a + data[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

uint32_t fnv1a(const char *s)
{
    uint32_t hash = 2166136261u;
    while (*s != '\0') {
        hash ^= (unsigned char)*s;
        hash *= 16777619u;
        s++;
    }
    return hash;
}

int clamp(int value, int lo, int hi)
{
    if (value < lo) {
        return lo;
    }
    if (value > hi) {
        return hi;
    }
    return value;
}

unsigned long factorial(unsigned n)
{
    unsigned long result = 1;
    for (unsigned i = 2; i <= n; i++) {
        result *= i;
    }
    return result;
}

unsigned long fibonacci(unsigned n)
{
    unsigned long a = 0;
    unsigned long b = 1;
    for (unsigned i = 0; i < n; i++) {
        unsigned long next = a + b;
        a = b;
        b = next;
    }
    return a;
}

int utf8_sequence_length(unsigned char lead)
{
    if (lead < 0x80) {
        return 1;
    }
    if ((lead & 0xE0) == 0xC0) {
        return 2;
    }
    if ((lead & 0xF0) == 0xE0) {
        return 3;
    }
    if ((lead & 0xF8) == 0xF0) {
        return 4;
    }
    return -1;
}

int digit_sum(int n)
{
    int sum = 0;
    if (n < 0) {
        n = -n;
    }
    while (n > 0) {
        sum += n % 10;
        n /= 10;
    }
    return sum;
}
