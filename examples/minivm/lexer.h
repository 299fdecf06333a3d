/* minivm's tokenizer: the whole source becomes one token array up front, so
 * the compiler can look ahead freely (forward calls, assignment targets). */
#ifndef MINIVM_LEXER_H
#define MINIVM_LEXER_H

#include <stddef.h>
#include <stdint.h>

/* Single-character punctuation is its own character code; everything else
 * is numbered from 256 up. */
enum mv_tok {
  T_EOF = 0,
  T_INT = 256, T_IDENT,
  T_FN, T_VAR, T_IF, T_ELSE, T_WHILE, T_RETURN,
  T_EQ, T_NE, T_LE, T_GE, T_AND, T_OR
};

struct mv_token {
  int kind;
  int line;
  const char *start; /* into the source; not NUL-terminated */
  int len;
  int64_t ival;      /* T_INT */
};

/* Tokenizes src into *out (ending with T_EOF), *n tokens. Returns 0, or -1
 * with "path:line: message" in err (and nothing to free). */
int mv_lex(const char *path, const char *src, struct mv_token **out,
           size_t *n, char *err, size_t errlen);

#endif
