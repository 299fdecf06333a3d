/* Tokenizer for minivm scripts. `#` starts a comment to the end of line. */
#include "lexer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lexer {
  const char *path, *p;
  int line;
  struct mv_token *toks;
  size_t n, cap;
  char *err;
  size_t errlen;
};

static const struct {
  const char *word;
  int kind;
} keywords[] = {
    {"fn", T_FN},       {"var", T_VAR},     {"if", T_IF},
    {"else", T_ELSE},   {"while", T_WHILE}, {"return", T_RETURN},
};

/* Two-character operators; a lone '&' or '|' is an error. */
static const struct {
  char a, b;
  int kind;
} pairs[] = {
    {'=', '=', T_EQ}, {'!', '=', T_NE}, {'<', '=', T_LE},
    {'>', '=', T_GE}, {'&', '&', T_AND}, {'|', '|', T_OR},
};

static int fail(struct lexer *lx, const char *msg, int c) {
  snprintf(lx->err, lx->errlen, "%s:%d: %s '%c'", lx->path, lx->line, msg, c);
  return -1;
}

static int push(struct lexer *lx, int kind, const char *start, int len) {
  if (lx->n == lx->cap) {
    size_t cap = lx->cap ? lx->cap * 2 : 256;
    struct mv_token *t = realloc(lx->toks, cap * sizeof *t);
    if (!t) {
      snprintf(lx->err, lx->errlen, "%s: out of memory", lx->path);
      return -1;
    }
    lx->toks = t;
    lx->cap = cap;
  }
  lx->toks[lx->n++] = (struct mv_token){kind, lx->line, start, len, 0};
  return 0;
}

static int lex_number(struct lexer *lx) {
  const char *s = lx->p;
  uint64_t v = 0;
  while (isdigit((unsigned char)*lx->p)) {
    unsigned d = (unsigned)(*lx->p++ - '0');
    if (v > (UINT64_C(0x7fffffffffffffff) - d) / 10)
      return fail(lx, "integer literal too large at", *s);
    v = v * 10 + d;
  }
  if (push(lx, T_INT, s, (int)(lx->p - s)) < 0) return -1;
  lx->toks[lx->n - 1].ival = (int64_t)v;
  return 0;
}

static int lex_word(struct lexer *lx) {
  const char *s = lx->p;
  while (isalnum((unsigned char)*lx->p) || *lx->p == '_') lx->p++;
  int len = (int)(lx->p - s), kind = T_IDENT;
  for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
    if ((int)strlen(keywords[k].word) == len &&
        memcmp(keywords[k].word, s, (size_t)len) == 0)
      kind = keywords[k].kind;
  return push(lx, kind, s, len);
}

static int lex_punct(struct lexer *lx) {
  const char *s = lx->p;
  for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
    if (s[0] == pairs[k].a && s[1] == pairs[k].b) {
      lx->p += 2;
      return push(lx, pairs[k].kind, s, 2);
    }
  if (!strchr("(){}[],;=<>+-*/%!", *s) || *s == '\0')
    return fail(lx, "unexpected character", *s);
  lx->p++;
  return push(lx, (unsigned char)*s, s, 1);
}

int mv_lex(const char *path, const char *src, struct mv_token **out,
           size_t *n, char *err, size_t errlen) {
  struct lexer lx = {path, src, 1, NULL, 0, 0, err, errlen};
  int rc = 0;
  while (rc == 0 && *lx.p) {
    unsigned char c = (unsigned char)*lx.p;
    if (c == '\n') lx.line++;
    if (c == '#')
      while (*lx.p && *lx.p != '\n') lx.p++;
    else if (isspace(c))
      lx.p++;
    else if (isdigit(c))
      rc = lex_number(&lx);
    else if (isalpha(c) || c == '_')
      rc = lex_word(&lx);
    else
      rc = lex_punct(&lx);
  }
  if (rc == 0) rc = push(&lx, T_EOF, lx.p, 0);
  if (rc < 0) {
    free(lx.toks);
    return -1;
  }
  *out = lx.toks;
  *n = lx.n;
  return 0;
}
