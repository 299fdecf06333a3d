/* Single-pass compiler from minivm source to bytecode.
 *
 *   program  := { "fn" NAME "(" [NAME {"," NAME}] ")" block }
 *   block    := "{" { stmt } "}"
 *   stmt     := "var" NAME ["=" expr] ";" | "if" "(" expr ")" block
 *               ["else" (block | if-stmt)] | "while" "(" expr ")" block
 *             | "return" [expr] ";" | block | expr ";"
 *   expr     := NAME "=" expr | postfix "[" expr "]" "=" expr | binary
 *   binary   := operators || && == != < <= > >= + - * / % (C precedence)
 *   unary    := ("-" | "!") unary | postfix
 *   postfix  := primary { "[" expr "]" }
 *   primary  := INT | NAME | NAME "(" args ")" | "(" expr ")" | "[" args "]"
 *
 * Every emitted code word gets a source line, which is what the profiler's
 * symbolizer later reports. The compiler also tracks the operand stack
 * depth, so the VM can check stack room once per call instead of per push.
 * Errors longjmp to mv_compile (no libprof crossing is open while
 * compiling, so this longjmp skips nothing that needs a matching leave).
 */
#include "lexer.h"
#include "minivm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LOCALS 256
#define MAX_ARGS 255
#define MAX_FUNCTIONS ((1u << 24) - 1) /* what the profiler PC can encode */

struct local {
  const char *name;
  int len;
  int scope;
};

struct compiler {
  const char *path;
  const struct mv_token *t; /* the next token */
  struct mv_program *prog;
  struct mv_function *fn;
  struct local locals[MAX_LOCALS]; /* in scope; slot = index */
  int nlocals, scope, depth;
  jmp_buf fail;
  char *err;
  size_t errlen;
};

static void expression(struct compiler *c);
static void binary(struct compiler *c, int min_prec, int can_assign);
static void block(struct compiler *c);

__attribute__((noreturn, format(printf, 3, 4))) static void
error_at(struct compiler *c, const struct mv_token *t, const char *fmt, ...) {
  va_list ap;
  int n = snprintf(c->err, c->errlen, "%s:%d: ", c->path, t->line);
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < c->errlen)
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  longjmp(c->fail, 1);
}

static void *grow(struct compiler *c, void *p, size_t n, size_t size) {
  void *q = realloc(p, n * size);
  if (!q) error_at(c, c->t, "out of memory");
  return q;
}

/* ---- tokens -------------------------------------------------------------- */

static const struct mv_token *advance(struct compiler *c) {
  const struct mv_token *t = c->t;
  if (t->kind != T_EOF) c->t++;
  return t;
}

static int match(struct compiler *c, int kind) {
  if (c->t->kind != kind) return 0;
  advance(c);
  return 1;
}

static const struct mv_token *expect(struct compiler *c, int kind,
                                     const char *what) {
  if (c->t->kind != kind)
    error_at(c, c->t, "expected %s, found '%.*s'", what,
             c->t->len ? c->t->len : 3, c->t->len ? c->t->start : "EOF");
  return advance(c);
}

/* ---- emission ------------------------------------------------------------ */

static void emit_word(struct compiler *c, int32_t w, int line) {
  struct mv_function *f = c->fn;
  if (f->ncode == f->cap) {
    f->cap = f->cap ? f->cap * 2 : 64;
    f->code = grow(c, f->code, f->cap, sizeof *f->code);
    f->lines = grow(c, f->lines, f->cap, sizeof *f->lines);
  }
  f->code[f->ncode] = w;
  f->lines[f->ncode++] = (uint32_t)line;
}

/* Appends op with n (0..2) operands; effect is its net change of the
 * operand stack. Returns the instruction's offset, for patching jumps. */
static size_t emit(struct compiler *c, int line, int effect, int n, int op,
                   int32_t a, int32_t b) {
  size_t at = c->fn->ncode;
  emit_word(c, op, line);
  if (n > 0) emit_word(c, a, line);
  if (n > 1) emit_word(c, b, line);
  c->depth += effect;
  if (c->depth > c->fn->max_stack) c->fn->max_stack = c->depth;
  return at;
}

static void emit_const(struct compiler *c, int line, int64_t v) {
  uint64_t u = (uint64_t)v;
  emit(c, line, 1, 2, OP_CONST, (int32_t)(uint32_t)u, (int32_t)(u >> 32));
}

/* Points the jump at `at` to the next instruction. */
static void patch(struct compiler *c, size_t at) {
  c->fn->code[at + 1] = (int32_t)c->fn->ncode;
}

/* ---- names --------------------------------------------------------------- */

static int find_fn(const struct mv_program *p, const char *s, size_t len) {
  for (size_t k = 0; k < p->nfns; k++)
    if (strlen(p->fns[k].name) == len && memcmp(p->fns[k].name, s, len) == 0)
      return (int)k;
  return -1;
}

int mv_find_function(const struct mv_program *prog, const char *name) {
  return find_fn(prog, name, strlen(name));
}

static int resolve_local(struct compiler *c, const struct mv_token *t) {
  for (int k = c->nlocals - 1; k >= 0; k--)
    if (c->locals[k].len == t->len &&
        memcmp(c->locals[k].name, t->start, (size_t)t->len) == 0)
      return k;
  return -1;
}

static int declare_local(struct compiler *c, const struct mv_token *t) {
  for (int k = c->nlocals - 1; k >= 0 && c->locals[k].scope == c->scope; k--)
    if (c->locals[k].len == t->len &&
        memcmp(c->locals[k].name, t->start, (size_t)t->len) == 0)
      error_at(c, t, "'%.*s' is already declared here", t->len, t->start);
  if (c->nlocals == MAX_LOCALS) error_at(c, t, "too many local variables");
  c->locals[c->nlocals] = (struct local){t->start, t->len, c->scope};
  if (++c->nlocals > c->fn->nlocals) c->fn->nlocals = c->nlocals;
  return c->nlocals - 1;
}

/* Finds every top-level `fn name(params)` first, so calls may precede the
 * callee's definition and are arity-checked at compile time. */
static void declare_functions(struct compiler *c) {
  int depth = 0;
  for (const struct mv_token *t = c->t; t->kind != T_EOF; t++) {
    depth += (t->kind == '{') - (t->kind == '}');
    if (depth != 0 || t->kind != T_FN || t[1].kind != T_IDENT) continue;
    if (find_fn(c->prog, t[1].start, (size_t)t[1].len) >= 0)
      error_at(c, t, "function '%.*s' is defined twice", t[1].len, t[1].start);
    if (mv_native_find(t[1].start, (size_t)t[1].len) >= 0)
      error_at(c, t, "'%.*s' is a native function", t[1].len, t[1].start);
    if (c->prog->nfns == MAX_FUNCTIONS) error_at(c, t, "too many functions");
    struct mv_program *p = c->prog;
    p->fns = grow(c, p->fns, p->nfns + 1, sizeof *p->fns);
    struct mv_function *f = &p->fns[p->nfns++];
    memset(f, 0, sizeof *f);
    f->line = t->line;
    f->name = strndup(t[1].start, (size_t)t[1].len);
    if (!f->name) error_at(c, t, "out of memory");
    for (const struct mv_token *q = t + 2; q->kind != ')' && q->kind; q++)
      f->nparams += q->kind == T_IDENT;
  }
}

/* ---- expressions --------------------------------------------------------- */

static int precedence(int kind) {
  switch (kind) {
  case T_OR: return 1;
  case T_AND: return 2;
  case T_EQ: case T_NE: return 3;
  case '<': case T_LE: case '>': case T_GE: return 4;
  case '+': case '-': return 5;
  case '*': case '/': case '%': return 6;
  default: return 0;
  }
}

static int binop(int kind) {
  switch (kind) {
  case '+': return OP_ADD;
  case '-': return OP_SUB;
  case '*': return OP_MUL;
  case '/': return OP_DIV;
  case '%': return OP_MOD;
  case '<': return OP_LT;
  case T_LE: return OP_LE;
  case '>': return OP_GT;
  case T_GE: return OP_GE;
  case T_EQ: return OP_EQ;
  default: return OP_NE;
  }
}

/* Parses "(" [expr {"," expr}] ")" (or the "[...]" of an array literal)
 * and returns the count; the values are left on the stack. */
static int arguments(struct compiler *c, int close) {
  int n = 0;
  if (c->t->kind != close) do {
      if (n == MAX_ARGS) error_at(c, c->t, "too many arguments");
      expression(c);
      n++;
    } while (match(c, ','));
  expect(c, close, close == ')' ? "')'" : "']'");
  return n;
}

/* NAME "(" args ")": a local holding a function value, a script function
 * (checked arity), or a native function. */
static void call(struct compiler *c, const struct mv_token *t, int slot) {
  int fi = -1, ni = -1;
  if (slot >= 0)
    emit(c, t->line, 1, 1, OP_LOAD, slot, 0);
  else if ((fi = find_fn(c->prog, t->start, (size_t)t->len)) < 0 &&
           (ni = mv_native_find(t->start, (size_t)t->len)) < 0)
    error_at(c, t, "unknown function '%.*s'", t->len, t->start);
  advance(c);
  int argc = arguments(c, ')');
  int want = fi >= 0 ? c->prog->fns[fi].nparams
             : ni >= 0 ? mv_native_get(ni)->arity : -1;
  if (want >= 0 && argc != want)
    error_at(c, t, "'%.*s' takes %d argument(s), not %d", t->len, t->start,
             want, argc);
  if (slot >= 0)
    emit(c, t->line, -argc, 2, OP_CALLV, argc, 0);
  else
    emit(c, t->line, 1 - argc, 2, fi >= 0 ? OP_CALL : OP_NATIVE,
         fi >= 0 ? fi : ni, argc);
}

static void identifier(struct compiler *c, const struct mv_token *t,
                       int can_assign) {
  int slot = resolve_local(c, t);
  if (c->t->kind == '(') {
    call(c, t, slot);
  } else if (slot >= 0 && can_assign && c->t->kind == '=') {
    advance(c);
    binary(c, 1, 1);
    emit(c, t->line, 0, 1, OP_STORE, slot, 0);
  } else if (slot >= 0) {
    emit(c, t->line, 1, 1, OP_LOAD, slot, 0);
  } else {
    int fi = find_fn(c->prog, t->start, (size_t)t->len);
    if (fi < 0)
      error_at(c, t, "unknown name '%.*s'", t->len, t->start);
    emit(c, t->line, 1, 1, OP_FUNC, fi, 0);
  }
}

static void primary(struct compiler *c, int can_assign) {
  const struct mv_token *t = advance(c);
  int n;
  switch (t->kind) {
  case T_INT:
    emit_const(c, t->line, t->ival);
    break;
  case '(':
    expression(c);
    expect(c, ')', "')'");
    break;
  case '[':
    n = arguments(c, ']');
    emit(c, t->line, 1 - n, 1, OP_ARRAY, n, 0);
    break;
  case T_IDENT:
    identifier(c, t, can_assign);
    break;
  default:
    error_at(c, t, "expected an expression");
  }
}

static void postfix(struct compiler *c, int can_assign) {
  primary(c, can_assign);
  while (c->t->kind == '[') {
    int line = advance(c)->line;
    expression(c);
    expect(c, ']', "']'");
    if (can_assign && match(c, '=')) {
      binary(c, 1, 1);
      emit(c, line, -2, 0, OP_SETINDEX, 0, 0);
      return;
    }
    emit(c, line, -1, 0, OP_INDEX, 0, 0);
  }
}

static void unary(struct compiler *c, int can_assign) {
  int kind = c->t->kind, line = c->t->line;
  if (kind == '-' || kind == '!') {
    advance(c);
    unary(c, 0);
    emit(c, line, 0, 0, kind == '-' ? OP_NEG : OP_NOT, 0, 0);
    return;
  }
  postfix(c, can_assign);
}

/*   a && b:  a JZ F  b BOOL JMP E  F: CONST 0  E:
 *   a || b:  a JZ R  CONST 1 JMP E  R: b BOOL  E:
 * The JMP counts -1 because the code after it pushes the same result
 * again on the other path. */
static void logical(struct compiler *c, int kind, int prec, int line) {
  size_t jz = emit(c, line, -1, 1, OP_JZ, 0, 0), jmp;
  if (kind == T_AND) {
    binary(c, prec + 1, 0);
    emit(c, line, 0, 0, OP_BOOL, 0, 0);
    jmp = emit(c, line, -1, 1, OP_JMP, 0, 0);
    patch(c, jz);
    emit_const(c, line, 0);
  } else {
    emit_const(c, line, 1);
    jmp = emit(c, line, -1, 1, OP_JMP, 0, 0);
    patch(c, jz);
    binary(c, prec + 1, 0);
    emit(c, line, 0, 0, OP_BOOL, 0, 0);
  }
  patch(c, jmp);
}

/* Precedence climbing; only the leftmost operand may be assigned to. */
static void binary(struct compiler *c, int min_prec, int can_assign) {
  unary(c, can_assign);
  for (;;) {
    int kind = c->t->kind, prec = precedence(kind);
    if (prec == 0 || prec < min_prec) return;
    int line = advance(c)->line;
    if (kind == T_AND || kind == T_OR) {
      logical(c, kind, prec, line);
      continue;
    }
    binary(c, prec + 1, 0);
    emit(c, line, -1, 0, binop(kind), 0, 0);
  }
}

static void expression(struct compiler *c) {
  binary(c, 1, 1);
  if (c->t->kind == '=') error_at(c, c->t, "invalid assignment target");
}

/* ---- statements ---------------------------------------------------------- */

static void var_decl(struct compiler *c) {
  const struct mv_token *name = expect(c, T_IDENT, "a variable name");
  if (match(c, '='))
    expression(c);
  else
    emit_const(c, name->line, 0);
  int slot = declare_local(c, name); /* after the initializer: `var x = x`
                                        reads an outer x */
  emit(c, name->line, 0, 1, OP_STORE, slot, 0);
  emit(c, name->line, -1, 0, OP_POP, 0, 0);
  expect(c, ';', "';'");
}

static void if_stmt(struct compiler *c) {
  int line = advance(c)->line;
  expect(c, '(', "'('");
  expression(c);
  expect(c, ')', "')'");
  size_t jz = emit(c, line, -1, 1, OP_JZ, 0, 0);
  block(c);
  if (match(c, T_ELSE)) {
    size_t jmp = emit(c, c->t->line, 0, 1, OP_JMP, 0, 0);
    patch(c, jz);
    if (c->t->kind == T_IF)
      if_stmt(c);
    else
      block(c);
    patch(c, jmp);
  } else {
    patch(c, jz);
  }
}

static void while_stmt(struct compiler *c) {
  int line = advance(c)->line;
  size_t top = c->fn->ncode;
  expect(c, '(', "'('");
  expression(c);
  expect(c, ')', "')'");
  size_t jz = emit(c, line, -1, 1, OP_JZ, 0, 0);
  block(c);
  emit(c, line, 0, 1, OP_JMP, (int32_t)top, 0);
  patch(c, jz);
}

static void statement(struct compiler *c) {
  const struct mv_token *t = c->t;
  switch (t->kind) {
  case T_VAR:
    advance(c);
    var_decl(c);
    break;
  case T_IF:
    if_stmt(c);
    break;
  case T_WHILE:
    while_stmt(c);
    break;
  case T_RETURN:
    advance(c);
    if (c->t->kind == ';')
      emit_const(c, t->line, 0);
    else
      expression(c);
    emit(c, t->line, -1, 0, OP_RET, 0, 0);
    expect(c, ';', "';'");
    break;
  case '{':
    block(c);
    break;
  default:
    expression(c);
    emit(c, t->line, -1, 0, OP_POP, 0, 0);
    expect(c, ';', "';'");
  }
}

static void block(struct compiler *c) {
  expect(c, '{', "'{'");
  c->scope++;
  while (c->t->kind != '}' && c->t->kind != T_EOF) statement(c);
  expect(c, '}', "'}'");
  while (c->nlocals > 0 && c->locals[c->nlocals - 1].scope == c->scope)
    c->nlocals--;
  c->scope--;
}

static void function(struct compiler *c) {
  expect(c, T_FN, "'fn'");
  const struct mv_token *name = expect(c, T_IDENT, "a function name");
  c->fn = &c->prog->fns[find_fn(c->prog, name->start, (size_t)name->len)];
  c->nlocals = c->scope = c->depth = 0;
  expect(c, '(', "'('");
  if (c->t->kind != ')') do
      declare_local(c, expect(c, T_IDENT, "a parameter name"));
    while (match(c, ','));
  expect(c, ')', "')'");
  c->fn->nparams = c->nlocals;
  block(c);
  int end = c->t[-1].line; /* the closing brace: an implicit `return 0;` */
  emit_const(c, end, 0);
  emit(c, end, -1, 0, OP_RET, 0, 0);
}

/* ---- entry points -------------------------------------------------------- */

struct mv_program *mv_compile(const char *path, const char *src, char *err,
                              size_t errlen) {
  struct mv_token *toks;
  size_t ntoks;
  if (mv_lex(path, src, &toks, &ntoks, err, errlen) < 0) return NULL;
  struct mv_program *prog = calloc(1, sizeof *prog);
  struct compiler *c = calloc(1, sizeof *c);
  if (!prog || !c || !(prog->path = strdup(path))) {
    snprintf(err, errlen, "%s: out of memory", path);
    free(toks), free(c), mv_program_free(prog);
    return NULL;
  }
  *c = (struct compiler){.path = path, .t = toks, .prog = prog,
                         .err = err, .errlen = errlen};
  if (setjmp(c->fail)) { /* a compile error */
    free(toks), free(c), mv_program_free(prog);
    return NULL;
  }
  declare_functions(c);
  while (c->t->kind != T_EOF) function(c);
  free(toks), free(c);
  return prog;
}

struct mv_program *mv_load(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  char *src = NULL;
  size_t len = 0;
  if (f) {
    FILE *mem = open_memstream(&src, &len);
    char buf[4096];
    size_t n;
    while (mem && (n = fread(buf, 1, sizeof buf, f)) > 0)
      fwrite(buf, 1, n, mem);
    if (mem) fclose(mem);
    fclose(f);
  }
  if (!src) {
    snprintf(err, errlen, "%s: cannot read the script", path);
    return NULL;
  }
  struct mv_program *prog = mv_compile(path, src, err, errlen);
  free(src);
  return prog;
}

void mv_program_free(struct mv_program *prog) {
  /* The profiler's symbolizer may still turn this program's PCs into
   * names, up to process exit, so an attached program stays. */
  if (!prog || prog->prof_id) return;
  for (size_t k = 0; k < prog->nfns; k++) {
    free(prog->fns[k].name);
    free(prog->fns[k].code);
    free(prog->fns[k].lines);
  }
  free(prog->fns);
  free(prog->path);
  free(prog);
}
