/* A tiny JSON reader for the C tests of libvas (so that the tests read spec.json,
 * expected.json and the JSON results of libvas without any Rust help). Single header,
 * C11, no dependencies. Parses RFC 8259 JSON into a tree: objects keep their key order;
 * strings are decoded to UTF-8 (\uXXXX escapes and surrogate pairs included).
 *
 *   jval *v = json_parse(text, len);   NULL if the text is not JSON
 *   json_get(v, "key"), json_at(v, i), json_str(v), json_num(v), json_equal(a, b)
 *   json_free(v);
 */
#ifndef VAS_TEST_JSON_H
#define VAS_TEST_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
  jtype t;
  bool b;
  double n;
  char *s;             /* J_STR: NUL-terminated UTF-8 */
  size_t count;        /* J_ARR / J_OBJ: number of items */
  struct jval **items; /* J_ARR / J_OBJ: the values */
  char **keys;         /* J_OBJ: the keys */
} jval;

typedef struct {
  const char *p, *end;
  int depth;
} jparser;

static inline void json_free(jval *v) {
  if (!v) return;
  for (size_t i = 0; i < v->count; i++) {
    json_free(v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->s);
  free(v);
}

static inline void j_ws(jparser *p) {
  while (p->p < p->end && (*p->p == ' ' || *p->p == '\t' || *p->p == '\n' || *p->p == '\r')) p->p++;
}

static inline int j_hex4(jparser *p, unsigned *out) {
  if (p->end - p->p < 4) return 0;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = *p->p++;
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

static inline char *j_string(jparser *p) {
  /* at the opening quote */
  p->p++;
  size_t cap = 16, n = 0;
  char *s = malloc(cap);
  if (!s) return NULL;
  for (;;) {
    if (p->p >= p->end) goto fail;
    unsigned char c = (unsigned char)*p->p++;
    if (c == '"') break;
    if (c < 0x20) goto fail;
    unsigned cp = c;
    int raw = 1;
    if (c == '\\') {
      if (p->p >= p->end) goto fail;
      char e = *p->p++;
      raw = 0;
      switch (e) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u': {
          if (!j_hex4(p, &cp)) goto fail;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo;
            if (p->end - p->p < 6 || p->p[0] != '\\' || p->p[1] != 'u') goto fail;
            p->p += 2;
            if (!j_hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) goto fail;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            goto fail;
          }
          break;
        }
        default: goto fail;
      }
    }
    if (n + 5 > cap) {
      cap *= 2;
      char *t = realloc(s, cap);
      if (!t) goto fail;
      s = t;
    }
    if (raw || cp < 0x80) {
      s[n++] = (char)cp;
    } else if (cp < 0x800) {
      s[n++] = (char)(0xC0 | (cp >> 6));
      s[n++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s[n++] = (char)(0xE0 | (cp >> 12));
      s[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      s[n++] = (char)(0x80 | (cp & 0x3F));
    } else {
      s[n++] = (char)(0xF0 | (cp >> 18));
      s[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
      s[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      s[n++] = (char)(0x80 | (cp & 0x3F));
    }
  }
  s[n] = 0;
  return s;
fail:
  free(s);
  return NULL;
}

static inline jval *j_value(jparser *p);

static inline int j_push(jval *v, jval *item, char *key) {
  jval **items = realloc(v->items, (v->count + 1) * sizeof *items);
  if (!items) return 0;
  v->items = items;
  if (v->t == J_OBJ) {
    char **keys = realloc(v->keys, (v->count + 1) * sizeof *keys);
    if (!keys) return 0;
    v->keys = keys;
    v->keys[v->count] = key;
  }
  v->items[v->count++] = item;
  return 1;
}

static inline jval *j_value(jparser *p) {
  j_ws(p);
  if (p->p >= p->end || ++p->depth > 200) return NULL;
  jval *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  char c = *p->p;
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    v->t = c == '{' ? J_OBJ : J_ARR;
    p->p++;
    j_ws(p);
    if (p->p < p->end && *p->p == close) {
      p->p++;
    } else {
      for (;;) {
        char *key = NULL;
        if (v->t == J_OBJ) {
          j_ws(p);
          if (p->p >= p->end || *p->p != '"' || !(key = j_string(p))) goto fail;
          j_ws(p);
          if (p->p >= p->end || *p->p != ':') { free(key); goto fail; }
          p->p++;
        }
        jval *item = j_value(p);
        if (!item || !j_push(v, item, key)) { json_free(item); free(key); goto fail; }
        j_ws(p);
        if (p->p < p->end && *p->p == ',') { p->p++; continue; }
        if (p->p < p->end && *p->p == close) { p->p++; break; }
        goto fail;
      }
    }
  } else if (c == '"') {
    v->t = J_STR;
    if (!(v->s = j_string(p))) goto fail;
  } else if (p->end - p->p >= 4 && !strncmp(p->p, "true", 4)) {
    v->t = J_BOOL; v->b = true; p->p += 4;
  } else if (p->end - p->p >= 5 && !strncmp(p->p, "false", 5)) {
    v->t = J_BOOL; p->p += 5;
  } else if (p->end - p->p >= 4 && !strncmp(p->p, "null", 4)) {
    v->t = J_NULL; p->p += 4;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    char buf[64];
    size_t n = 0;
    while (p->p < p->end && n < sizeof buf - 1 && strchr("+-0123456789.eE", *p->p)) buf[n++] = *p->p++;
    buf[n] = 0;
    char *e;
    v->t = J_NUM;
    v->n = strtod(buf, &e);
    if (*e) goto fail;
  } else {
    goto fail;
  }
  p->depth--;
  return v;
fail:
  json_free(v);
  return NULL;
}

/* Parses `len` bytes of JSON (one value, surrounded by whitespace only); NULL if invalid. */
static inline jval *json_parse(const char *text, size_t len) {
  jparser p = {text, text + len, 0};
  jval *v = j_value(&p);
  j_ws(&p);
  if (v && p.p != p.end) { json_free(v); return NULL; }
  return v;
}

/* The member `key` of an object, NULL if absent or not an object. */
static inline const jval *json_get(const jval *v, const char *key) {
  if (!v || v->t != J_OBJ) return NULL;
  for (size_t i = 0; i < v->count; i++)
    if (!strcmp(v->keys[i], key)) return v->items[i];
  return NULL;
}

/* Item `i` of an array, NULL if out of range or not an array. */
static inline const jval *json_at(const jval *v, size_t i) {
  if (!v || v->t != J_ARR || i >= v->count) return NULL;
  return v->items[i];
}

/* The text of a string value, NULL otherwise. */
static inline const char *json_str(const jval *v) { return v && v->t == J_STR ? v->s : NULL; }

/* The number of a number value, `dflt` otherwise. */
static inline double json_num(const jval *v, double dflt) { return v && v->t == J_NUM ? v->n : dflt; }

/* Deep equality (object members compared by key, in any order). */
static inline bool json_equal(const jval *a, const jval *b) {
  if (!a || !b) return a == b;
  if (a->t != b->t) return false;
  switch (a->t) {
    case J_NULL: return true;
    case J_BOOL: return a->b == b->b;
    case J_NUM: return a->n == b->n;
    case J_STR: return !strcmp(a->s, b->s);
    case J_ARR:
      if (a->count != b->count) return false;
      for (size_t i = 0; i < a->count; i++)
        if (!json_equal(a->items[i], b->items[i])) return false;
      return true;
    case J_OBJ:
      if (a->count != b->count) return false;
      for (size_t i = 0; i < a->count; i++)
        if (!json_equal(a->items[i], json_get(b, a->keys[i]))) return false;
      return true;
  }
  return false;
}

/* Reads a whole file into a malloc'd NUL-terminated buffer; NULL on failure. */
static inline char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (cap - n - 1 == 0) {
      char *t = realloc(buf, cap * 2);
      if (!t) { free(buf); buf = NULL; break; }
      buf = t;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf) buf[n] = 0;
  if (len) *len = n;
  return buf;
}

#endif
