/* A C program embedding CPython 3.11 (libpython3.11) and profiling itself
 * through the public API: Python calls the host's C function host.call,
 * which calls back into Python; the callback raises one sample. From
 * there a thread that never runs Python raises another, while this one
 * holds the GIL (the GIL holder's state must not be taken for its own).
 * The test (test_embed.py) checks both samples' exact merged stacks.
 * Usage: embed OUT.json */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "libprof.h"

static const char script[] =
    "import host, signal, threading\n"
    "def probe():\n"
    "    signal.pthread_kill(threading.get_ident(), signal.SIGPROF)\n"
    "def callback():\n"
    "    probe()\n"
    "    host.native_thread()\n"
    "def work():\n"
    "    host.call(callback)\n"
    "work()\n";

__attribute__((noinline)) static PyObject *host_callback(PyObject *fn) {
  PyObject *r = PyObject_CallNoArgs(fn);
  __asm__ volatile("" ::: "memory"); /* keep the call a call */
  return r;
}

static PyObject *host_call(PyObject *self, PyObject *fn) {
  (void)self;
  return host_callback(fn);
}

__attribute__((noinline)) static void *native_worker(void *arg) {
  (void)arg;
  pthread_kill(pthread_self(), SIGPROF);
  __asm__ volatile("" ::: "memory");
  return NULL;
}

static PyObject *host_native_thread(PyObject *self, PyObject *unused) {
  (void)self, (void)unused;
  pthread_t t;
  if (pthread_create(&t, NULL, native_worker, NULL) == 0)
    pthread_join(t, NULL); /* the GIL stays held: that is the point */
  Py_RETURN_NONE;
}

static PyMethodDef host_methods[] = {
    {"call", host_call, METH_O, NULL},
    {"native_thread", host_native_thread, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};
static struct PyModuleDef host_module = {PyModuleDef_HEAD_INIT, "host", NULL,
                                         -1, host_methods};

static PyObject *host_init(void) { return PyModule_Create(&host_module); }

__attribute__((noinline)) static int run_script(void) {
  PyObject *code = Py_CompileString(script, "<embedded>", Py_file_input);
  PyObject *globals = PyDict_New(), *r = NULL;
  if (code && globals)
    r = PyEval_EvalCode(code, globals, globals);
  int ok = r != NULL;
  if (!ok)
    PyErr_Print();
  Py_XDECREF(r), Py_XDECREF(globals), Py_XDECREF(code);
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  struct prof_options o = {.out = argc > 1 ? argv[1] : "embed.json", .hz = 1,
                           .quiet = 1};
  int err = prof_start(&o); /* before Py_Initialize on purpose */
  if (err) {
    fprintf(stderr, "prof_start: %s\n", prof_strerror(err));
    return 1;
  }
  PyImport_AppendInittab("host", host_init);
  Py_Initialize();
  int rc = run_script();
  if (Py_FinalizeEx() < 0)
    rc = 1;
  err = prof_stop();
  return rc || err != 0;
}
