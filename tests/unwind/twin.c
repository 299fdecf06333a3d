/* Built twice, as two shared objects that differ only in TWIN_FRAME: the
 * same code layout (so a return address has the same offset in both) with
 * different frame sizes (so the unwind rule at it differs). The rule
 * cache must not hand one library's rules to the other when the second is
 * loaded where the first was. */
typedef void (*twin_cb)(void);

int twin_call(twin_cb cb, int x);

int twin_call(twin_cb cb, int x) {
  volatile char buf[TWIN_FRAME];
  buf[0] = (char)x;
  buf[TWIN_FRAME - 1] = (char)(x + 1);
  cb();
  return buf[0] + buf[TWIN_FRAME - 1];
}
