/* SVG writer: a static flame graph in the style of flamegraph.pl, for
 * places where a picture is all that fits (an issue, a chat, a report).
 *
 * Root at the bottom: the process, then one box per thread
 * ("<name> (<tid>)"), then the functions (frames merged as funcs.h says),
 * widths proportional to weight. Each box has a <title> tooltip (name,
 * runtime, file:line, time, share, samples) and, when wide enough, its name
 * clipped to fit. Colours as flamegraph.pl's --color=java: native warm,
 * managed code green, inlined aqua; libprof's own frames grey. Boxes under
 * PROF__SVG_MIN_PX are left out. No script: it opens anywhere.
 * Never in a signal handler; not thread-safe per stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "export/ctree.h"
#include "export/funcs.h"
#include "export/out.h"
#include "export/writers.h"
#include "libprof.h"

#define PROF__SVG_W 1200.0
#define PROF__SVG_PAD 10.0
#define PROF__SVG_ROW 16
#define PROF__SVG_TOP 40
#define PROF__SVG_MIN_PX 0.1
#define PROF__SVG_CHAR_PX 7.0

struct prof__svg {
  const struct prof__model *m;
  struct prof__fn_map fm;
  struct prof__ctree t; /* root: the process; depth 1: threads (key =
                           thread index); below: functions */
  unsigned depth;
};

static int prof__svg_build(struct prof__svg *s) {
  const struct prof__model *m = s->m;
  int rc = prof__ctree_init(&s->t);
  for (size_t t = 0; rc == 0 && t < m->nthreads; t++) {
    uint32_t tn = prof__ctree_child(&s->t, 0, (uint32_t)t);
    if (tn == PROF__CTREE_NONE)
      return PROF_ENOMEM;
    for (size_t i = 0; rc == 0 && i < m->threads[t].nsamples; i++) {
      const struct prof__model_sample *smp = &m->threads[t].samples[i];
      const struct prof__model_stack *st = &m->stacks[smp->stack];
      s->t.n[0].value += smp->weight_ns;
      s->t.n[0].count += smp->count;
      rc = prof__ctree_add(&s->t, tn, st, s->fm.of_frame, smp->weight_ns,
                           smp->count);
      if (st->nframes + 2 > s->depth)
        s->depth = st->nframes + 2;
    }
  }
  return rc;
}

/* XML text: markup characters escaped, control bytes dropped, invalid
 * UTF-8 as U+FFFD; at most max characters, with ".." when cut. */
static void prof__svg_text(struct prof__out *o, const char *s, size_t max) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t chars = 0; *p != 0; chars++) {
    if (chars + 2 >= max && max != 0 && strlen((const char *)p) > 2) {
      prof__out_str(o, "..");
      return;
    }
    size_t n = prof__utf8_len(p);
    if (n == 0) {
      prof__out_str(o, "\xef\xbf\xbd");
      p++;
    } else if (*p < 0x20) {
      p++;
    } else if (*p == '&' || *p == '<' || *p == '>' || *p == '"') {
      prof__out_str(o, *p == '&' ? "&amp;" : *p == '<' ? "&lt;"
                       : *p == '>' ? "&gt;" : "&quot;");
      p++;
    } else {
      prof__out_mem(o, p, n);
      p += n;
    }
  }
}

/* flamegraph.pl's --color=java hues, varied by the name. */
static void prof__svg_fill(struct prof__out *o, const struct prof__model_frame *f) {
  char buf[32];
  unsigned v = (unsigned)(prof__hash_str(PROF__HASH_SEED, f ? f->name : "") %
                          1000);
  int r, g, b;
  if (f == NULL) {
    r = g = b = 200;
  } else if (f->flags & PROF__FRAME_INLINED) {
    r = 50 + (int)(60 * v / 1000), g = 165 + (int)(55 * v / 1000), b = g;
  } else if (strcmp(f->runtime, PROF__RUNTIME_LIBPROF) == 0) {
    r = g = b = 160;
  } else if (strcmp(f->runtime, PROF__RUNTIME_NATIVE) != 0) {
    r = 50 + (int)(60 * v / 1000), g = 200 + (int)(55 * v / 1000), b = r;
  } else {
    r = 205 + (int)(50 * v / 1000), g = (int)(230 * v / 1000);
    b = (int)(55 * ((v * 7) % 1000) / 1000);
  }
  snprintf(buf, sizeof(buf), "rgb(%d,%d,%d)", r, g, b);
  prof__out_str(o, buf);
}

/* One box: <g><title>..</title><rect/><text/></g>. */
static void prof__svg_box(struct prof__svg *s, struct prof__out *o,
                          uint32_t i, double x, unsigned depth) {
  const struct prof__cnode *x_ = &s->t.n[i];
  const struct prof__model_frame *f =
      depth >= 2 ? &s->fm.fn[x_->key] : NULL;
  double w = (PROF__SVG_W - 2 * PROF__SVG_PAD) * (double)x_->value /
             (double)s->t.n[0].value;
  double y = PROF__SVG_TOP + (double)(s->depth - 1 - depth) * PROF__SVG_ROW;
  char num[160];
  char *label = depth == 1 ? prof__thread_label(&s->m->threads[x_->key])
                           : NULL;
  const char *name = depth == 0 ? prof__program_name(s->m)
                     : depth == 1 ? (label ? label : "?") : f->name;
  prof__out_str(o, "<g><title>");
  prof__svg_text(o, name, 0);
  if (f != NULL) {
    prof__out_str(o, " (");
    prof__svg_text(o, f->runtime, 0);
    if (f->flags & PROF__FRAME_INLINED)
      prof__out_str(o, ", inlined");
    if (f->file != NULL) {
      prof__out_str(o, ", ");
      prof__svg_text(o, f->file, 0);
      if (f->line != 0) {
        snprintf(num, sizeof(num), ":%u", f->line);
        prof__out_str(o, num);
      }
    }
    prof__out_ch(o, ')');
  }
  snprintf(num, sizeof(num), ": %.3f ms, %.2f%%, %llu samples</title>",
           (double)x_->value / 1e6,
           100.0 * (double)x_->value / (double)s->t.n[0].value,
           (unsigned long long)x_->count);
  prof__out_str(o, num);
  snprintf(num, sizeof(num), "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
           "height=\"%d\" rx=\"2\" fill=\"", x, y, w, PROF__SVG_ROW - 1);
  prof__out_str(o, num);
  prof__svg_fill(o, f);
  prof__out_str(o, "\"/>");
  size_t fit = (size_t)(w / PROF__SVG_CHAR_PX);
  if (fit >= 3) {
    snprintf(num, sizeof(num), "<text x=\"%.1f\" y=\"%.1f\">", x + 3,
             y + PROF__SVG_ROW - 4.5);
    prof__out_str(o, num);
    prof__svg_text(o, name, fit);
    prof__out_str(o, "</text>");
  }
  prof__out_str(o, "</g>\n");
  free(label);
}

/* Depth first without recursion: a stack of (node, x, depth). */
static int prof__svg_emit(struct prof__svg *s, struct prof__out *o) {
  struct item { uint32_t node; unsigned depth; double x; } *st;
  size_t n = 0;
  st = malloc(s->t.len * sizeof(*st) + sizeof(*st));
  if (st == NULL)
    return PROF_ENOMEM;
  st[n++] = (struct item){0, 0, PROF__SVG_PAD};
  const struct prof__cnode *nd = s->t.n;
  double scale = (PROF__SVG_W - 2 * PROF__SVG_PAD) / (double)nd[0].value;
  while (n > 0) {
    struct item it = st[--n];
    prof__svg_box(s, o, it.node, it.x, it.depth);
    double cx = it.x;
    for (uint32_t c = nd[it.node].first; c != PROF__CTREE_NONE;
         c = nd[c].next) {
      if ((double)nd[c].value * scale >= PROF__SVG_MIN_PX)
        st[n++] = (struct item){c, it.depth + 1, cx};
      cx += (double)nd[c].value * scale;
    }
  }
  free(st);
  return 0;
}

int prof__write_svg(const struct prof__model *m, FILE *fp) {
  struct prof__svg s = {.m = m};
  struct prof__out *o = malloc(sizeof(*o));
  int rc = o == NULL || prof__fn_map_build(m, &s.fm) != 0 ? PROF_ENOMEM : 0;
  if (rc == 0)
    rc = prof__svg_build(&s);
  if (rc == 0) {
    char head[512];
    unsigned h = PROF__SVG_TOP + s.depth * PROF__SVG_ROW + PROF__SVG_PAD;
    prof__out_init(o, fp);
    snprintf(head, sizeof(head),
             "<?xml version=\"1.0\" standalone=\"no\"?>\n"
             "<svg version=\"1.1\" width=\"%.0f\" height=\"%u\" "
             "viewBox=\"0 0 %.0f %u\" xmlns=\"http://www.w3.org/2000/svg\" "
             "font-family=\"Verdana, sans-serif\" font-size=\"11\">\n"
             "<rect width=\"100%%\" height=\"100%%\" fill=\"#f8f8f0\"/>\n"
             "<text x=\"%.0f\" y=\"24\" font-size=\"17\" "
             "text-anchor=\"middle\">", PROF__SVG_W, h, PROF__SVG_W, h,
             PROF__SVG_W / 2);
    prof__out_str(o, head);
    prof__svg_text(o, prof__program_name(m), 0);
    snprintf(head, sizeof(head), ": %.3f ms %s, %llu samples (hover a box)"
             "</text>\n", (double)s.t.n[0].value / 1e6,
             m->weight_kind && strcmp(m->weight_kind, "wall") == 0
                 ? "wall time" : "CPU time",
             (unsigned long long)s.t.n[0].count);
    prof__out_str(o, head);
    if (s.t.n[0].value > 0)
      rc = prof__svg_emit(&s, o);
    prof__out_str(o, "</svg>\n");
    int frc = prof__out_flush(o);
    if (rc == 0)
      rc = frc;
  }
  free(o);
  prof__ctree_free(&s.t);
  prof__fn_map_free(&s.fm);
  return rc;
}
