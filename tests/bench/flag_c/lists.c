/* Linked lists and buffers for the FLAG dev corpus (written for Linewright, public domain). */
#include <stddef.h>
#include <stdlib.h>

struct node {
    int value;
    struct node *next;
};

struct ring {
    int *items;
    size_t capacity;
    size_t head;
    size_t count;
};

struct node *list_push(struct node *head, int value)
{
    struct node *n = malloc(sizeof *n);
    if (n == NULL) {
        return head;
    }
    n->value = value;
    n->next = head;
    return n;
}

size_t list_length(const struct node *head)
{
    size_t n = 0;
    while (head != NULL) {
        n++;
        head = head->next;
    }
    return n;
}

struct node *list_reverse(struct node *head)
{
    struct node *prev = NULL;
    while (head != NULL) {
        struct node *next = head->next;
        head->next = prev;
        prev = head;
        head = next;
    }
    return prev;
}

void list_free(struct node *head)
{
    while (head != NULL) {
        struct node *next = head->next;
        free(head);
        head = next;
    }
}

struct node *list_find(struct node *head, int value)
{
    for (; head != NULL; head = head->next) {
        if (head->value == value) {
            return head;
        }
    }
    return NULL;
}

int ring_push(struct ring *r, int value)
{
    if (r->count == r->capacity) {
        return 0;
    }
    size_t tail = (r->head + r->count) % r->capacity;
    r->items[tail] = value;
    r->count++;
    return 1;
}

int ring_pop(struct ring *r, int *out)
{
    if (r->count == 0) {
        return 0;
    }
    *out = r->items[r->head];
    r->head = (r->head + 1) % r->capacity;
    r->count--;
    return 1;
}

struct node *list_remove(struct node *head, int value)
{
    struct node **link = &head;
    while (*link != NULL) {
        if ((*link)->value == value) {
            struct node *gone = *link;
            *link = gone->next;
            free(gone);
            return head;
        }
        link = &(*link)->next;
    }
    return head;
}
