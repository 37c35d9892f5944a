// The few Linux system calls Node has no API for: mount(2), umount2(2), mknod(2) and the xattr
// calls. Without this module each of them is a child process (mount, umount, mknod, getfattr,
// setfattr), and from a process the size of a build server a spawn costs several milliseconds of
// the event loop's time before the tool even starts. Built by scripts/build-native.ts; index.ts
// falls back to the tools when it is missing.
//
// mount, umount and the tree read run on libuv's thread pool and return promises; mknod and the
// single-file xattr calls are one quick syscall each and run in place.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) return NULL;                                                            \
  } while (0)

// ---- errors: an Error with the errno's name as `code`, as Node's fs errors have ----

static napi_value errno_error(napi_env env, int err, const char *syscall, const char *path) {
  const char *name = strerrorname_np(err);
  char msg[4200];
  snprintf(msg, sizeof msg, "%s: %s, %s '%s'", name ? name : "E?", strerror(err), syscall, path ? path : "");
  napi_value m = NULL, c = NULL, e = NULL, n = NULL, s = NULL;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &e);
  napi_create_int32(env, -err, &n);
  napi_set_named_property(env, e, "errno", n);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, e, "syscall", s);
  if (path) {
    napi_value p;
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &p);
    napi_set_named_property(env, e, "path", p);
  }
  return e;
}

static void throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  napi_throw(env, errno_error(env, err, syscall, path));
}

// ---- arguments ----

// A string argument as a new NUL-terminated copy (NULL for null/undefined when optional).
static char *string_arg(napi_env env, napi_value v, int optional) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return NULL;
  if (optional && (t == napi_null || t == napi_undefined)) return NULL;
  if (t != napi_string) {
    napi_throw_type_error(env, NULL, "expected a string");
    return NULL;
  }
  size_t len;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static int has_exception(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  return pending;
}

static int64_t int_arg(napi_env env, napi_value v) {
  int64_t n = 0;
  napi_get_value_int64(env, v, &n);
  return n;
}

// ---- mount / umount on the thread pool ----

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int op; // 0 mount, 1 umount
  char *source, *target, *fstype, *data;
  unsigned long flags;
  int err;
} mount_job;

static void free_mount_job(mount_job *j) {
  free(j->source), free(j->target), free(j->fstype), free(j->data), free(j);
}

static void mount_execute(napi_env env, void *p) {
  (void)env;
  mount_job *j = p;
  int r = j->op == 0 ? mount(j->source, j->target, j->fstype, j->flags, j->data) : umount2(j->target, (int)j->flags);
  j->err = r == 0 ? 0 : errno;
}

static void mount_complete(napi_env env, napi_status status, void *p) {
  (void)status;
  mount_job *j = p;
  if (j->err == 0) {
    napi_value u;
    napi_get_undefined(env, &u);
    napi_resolve_deferred(env, j->deferred, u);
  } else {
    napi_reject_deferred(env, j->deferred, errno_error(env, j->err, j->op == 0 ? "mount" : "umount", j->target));
  }
  napi_delete_async_work(env, j->work);
  free_mount_job(j);
}

// The job is freed here when it cannot be queued, else by mount_complete.
static napi_value queue_mount_job(napi_env env, mount_job *j) {
  napi_value promise, name;
  if (napi_create_promise(env, &j->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "tsbuild-mount", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, mount_execute, mount_complete, j, &j->work) != napi_ok) {
    free_mount_job(j);
    return NULL;
  }
  if (napi_queue_async_work(env, j->work) != napi_ok) {
    napi_delete_async_work(env, j->work);
    free_mount_job(j);
    return NULL;
  }
  return promise;
}

// mount(source, target, fstype, flags, data) and umount(target, flags) -> Promise<void>: one job
// type, its arguments read by `op` (0 mount, 1 umount).
static napi_value start_mount_job(napi_env env, napi_callback_info info, int op) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mount_job *j = calloc(1, sizeof *j);
  if (!j) return NULL;
  j->op = op;
  if (op == 0) {
    j->source = string_arg(env, argv[0], 1);
    j->target = string_arg(env, argv[1], 0);
    j->fstype = string_arg(env, argv[2], 1);
    j->flags = (unsigned long)int_arg(env, argv[3]);
    j->data = string_arg(env, argv[4], 1);
  } else {
    j->target = string_arg(env, argv[0], 0);
    j->flags = (unsigned long)int_arg(env, argv[1]);
  }
  if (has_exception(env) || !j->target) {
    free_mount_job(j);
    return NULL;
  }
  return queue_mount_job(env, j);
}

static napi_value js_mount(napi_env env, napi_callback_info info) {
  return start_mount_job(env, info, 0);
}

static napi_value js_umount(napi_env env, napi_callback_info info) {
  return start_mount_job(env, info, 1);
}

// ---- mknod, in place ----

// mknod(path, mode, major, minor): mode includes the file type bits (S_IFIFO, S_IFCHR, S_IFBLK).
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = string_arg(env, argv[0], 0);
  if (!path) return NULL;
  mode_t mode = (mode_t)int_arg(env, argv[1]);
  dev_t dev = makedev((unsigned)int_arg(env, argv[2]), (unsigned)int_arg(env, argv[3]));
  if (mknod(path, mode, dev) != 0) throw_errno(env, errno, "mknod", path);
  free(path);
  return NULL;
}

// ---- xattrs of one path, in place ----

// Reads every attribute of `path` (not following a final symlink) into `out` as name, value pairs
// appended to a growing byte list. Returns 0 or an errno; ENOTSUP/ENODATA count as none.
typedef struct {
  char *bytes;
  size_t len, cap;
} bytes_list;

static int list_put(bytes_list *l, const void *p, size_t n) {
  if (l->len + n > l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 4096;
    while (cap < l->len + n) cap *= 2;
    char *b = realloc(l->bytes, cap);
    if (!b) return ENOMEM;
    l->bytes = b, l->cap = cap;
  }
  memcpy(l->bytes + l->len, p, n);
  l->len += n;
  return 0;
}

// Record layout in a bytes_list: u32 path length, path, u32 name length, name, u32 value length, value.
static int put_field(bytes_list *l, const void *p, uint32_t n) {
  int e = list_put(l, &n, sizeof n);
  return e ? e : list_put(l, p, n);
}

static int read_xattrs(const char *path, bytes_list *out, int *count) {
  char names_buf[4096];
  char *names = names_buf;
  ssize_t n = llistxattr(path, names, sizeof names_buf);
  if (n < 0 && errno == ERANGE) {
    ssize_t want = llistxattr(path, NULL, 0);
    if (want < 0) return errno;
    names = malloc((size_t)want);
    if (!names) return ENOMEM;
    n = llistxattr(path, names, (size_t)want);
  }
  int err = 0;
  if (n < 0) {
    err = (errno == ENOTSUP || errno == ENODATA) ? 0 : errno;
    n = 0;
  }
  char value_buf[4096];
  for (ssize_t i = 0; i < n && !err;) {
    const char *name = names + i;
    size_t name_len = strlen(name);
    i += (ssize_t)name_len + 1;
    char *value = value_buf;
    ssize_t v = lgetxattr(path, name, value, sizeof value_buf);
    if (v < 0 && errno == ERANGE) {
      ssize_t want = lgetxattr(path, name, NULL, 0);
      value = want >= 0 ? malloc((size_t)want + 1) : NULL;
      v = value ? lgetxattr(path, name, value, (size_t)want) : -1;
    }
    if (v >= 0) {
      err = put_field(out, path, (uint32_t)strlen(path));
      if (!err) err = put_field(out, name, (uint32_t)name_len);
      if (!err) err = put_field(out, value, (uint32_t)v);
      if (!err) (*count)++;
    } else if (errno != ENODATA) {
      err = errno; // the attribute vanished between list and get: ENODATA, skipped
    }
    if (value != value_buf) free(value);
  }
  if (names != names_buf) free(names);
  return err;
}

// Turns a bytes_list of records into a flat JS array [path, name, value, path, name, value …].
static napi_value records_to_array(napi_env env, const bytes_list *l, int count) {
  napi_value arr;
  CHECK(napi_create_array_with_length(env, (size_t)count * 3, &arr));
  size_t off = 0;
  for (int i = 0; i < count; i++) {
    for (int f = 0; f < 3; f++) {
      uint32_t n;
      memcpy(&n, l->bytes + off, sizeof n);
      off += sizeof n;
      napi_value v;
      if (f < 2) {
        CHECK(napi_create_string_utf8(env, l->bytes + off, n, &v));
      } else {
        void *data;
        CHECK(napi_create_buffer_copy(env, n, l->bytes + off, &data, &v));
      }
      off += n;
      CHECK(napi_set_element(env, arr, (uint32_t)(i * 3 + f), v));
    }
  }
  return arr;
}

// lgetxattrs(path) -> [path, name, value, …] for that one path
static napi_value js_lgetxattrs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = string_arg(env, argv[0], 0);
  if (!path) return NULL;
  bytes_list l = {0};
  int count = 0;
  int err = read_xattrs(path, &l, &count);
  napi_value r = NULL;
  if (err) throw_errno(env, err, "lgetxattr", path);
  else r = records_to_array(env, &l, count);
  free(l.bytes), free(path);
  return r;
}

// lsetxattr(path, name, value: Buffer)
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = string_arg(env, argv[0], 0);
  char *name = path ? string_arg(env, argv[1], 0) : NULL;
  void *data = NULL;
  size_t len = 0;
  if (name && napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok) napi_throw_type_error(env, NULL, "expected a Buffer");
  else if (name && lsetxattr(path, name, data, len, 0) != 0) throw_errno(env, errno, "lsetxattr", path);
  free(path), free(name);
  return NULL;
}

// ---- every xattr under some trees, on the thread pool ----

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char **roots;
  uint32_t nroots;
  bytes_list out;
  int count;
  int err;
} tree_job;

static __thread tree_job *current_tree;

static int tree_visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st, (void)ftw;
  // Symlinks carry no attributes a layer keeps; unreadable entries are skipped, as getfattr does.
  if (type == FTW_SL || type == FTW_SLN || type == FTW_NS || type == FTW_DNR) return 0;
  int e = read_xattrs(path, &current_tree->out, &current_tree->count);
  if (e == ENOMEM) {
    current_tree->err = e;
    return 1;
  }
  return 0;
}

static void tree_execute(napi_env env, void *p) {
  (void)env;
  tree_job *j = p;
  current_tree = j;
  for (uint32_t i = 0; i < j->nroots && !j->err; i++) {
    // What could be read is kept, as getfattr keeps it: a root that does not exist, or an entry
    // that vanished during the walk, ends that root's walk, not the batch. Only running out of
    // memory (tree_visit) fails it.
    struct stat st;
    if (lstat(j->roots[i], &st) == 0) nftw(j->roots[i], tree_visit, 32, FTW_PHYS);
  }
  current_tree = NULL;
}

static void tree_complete(napi_env env, napi_status status, void *p) {
  (void)status;
  tree_job *j = p;
  if (j->err) napi_reject_deferred(env, j->deferred, errno_error(env, j->err, "nftw", j->nroots ? j->roots[0] : NULL));
  else {
    napi_value arr = records_to_array(env, &j->out, j->count);
    if (arr) napi_resolve_deferred(env, j->deferred, arr);
    else {
      napi_value e;
      napi_get_and_clear_last_exception(env, &e);
      napi_reject_deferred(env, j->deferred, e);
    }
  }
  napi_delete_async_work(env, j->work);
  for (uint32_t i = 0; i < j->nroots; i++) free(j->roots[i]);
  free(j->roots), free(j->out.bytes), free(j);
}

// xattrTree(roots: string[]) -> Promise<[path, name, value, …]>
static napi_value js_xattr_tree(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t n = 0;
  CHECK(napi_get_array_length(env, argv[0], &n));
  tree_job *j = calloc(1, sizeof *j);
  if (j) j->roots = calloc(n ? n : 1, sizeof(char *));
  int ok = j && j->roots;
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value v;
    napi_get_element(env, argv[0], i, &v);
    j->roots[i] = string_arg(env, v, 0);
    j->nroots = i + 1;
    ok = j->roots[i] != NULL;
  }
  napi_value promise = NULL, name;
  if (ok) {
    ok = napi_create_promise(env, &j->deferred, &promise) == napi_ok &&
         napi_create_string_utf8(env, "tsbuild-xattr-tree", NAPI_AUTO_LENGTH, &name) == napi_ok &&
         napi_create_async_work(env, NULL, name, tree_execute, tree_complete, j, &j->work) == napi_ok;
    if (ok && napi_queue_async_work(env, j->work) != napi_ok) {
      napi_delete_async_work(env, j->work);
      ok = 0;
    }
  }
  if (!ok) {
    if (!has_exception(env)) napi_throw_error(env, NULL, "xattrTree: out of memory or N-API failure");
    if (j) {
      for (uint32_t i = 0; i < j->nroots; i++) free(j->roots[i]);
      free(j->roots), free(j);
    }
    return NULL;
  }
  return promise;
}

// ---- inotify, read when asked rather than from the event loop ----
//
// A watcher here is polled: the kernel queues events on a non-blocking descriptor until a build
// asks what changed. Nothing runs between builds.

#define WATCH_MASK                                                                                 \
  (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |   \
   IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW | IN_ONLYDIR)

// inotifyInit() -> fd
static napi_value js_inotify_init(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "inotify_init1", NULL);
    return NULL;
  }
  napi_value r;
  CHECK(napi_create_int32(env, fd, &r));
  return r;
}

// inotifyAdd(fd, dir) -> watch descriptor
static napi_value js_inotify_add(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd = (int)int_arg(env, argv[0]);
  char *path = string_arg(env, argv[1], 0);
  if (!path) return NULL;
  int wd = inotify_add_watch(fd, path, WATCH_MASK);
  napi_value r = NULL;
  if (wd < 0) throw_errno(env, errno, "inotify_add_watch", path);
  else napi_create_int32(env, wd, &r);
  free(path);
  return r;
}

// inotifyRead(fd) -> [wd, mask, name, …]: every queued event (name '' for the directory itself).
static napi_value js_inotify_read(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd = (int)int_arg(env, argv[0]);
  napi_value arr;
  CHECK(napi_create_array(env, &arr));
  uint32_t n = 0;
  char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      throw_errno(env, errno, "read", NULL);
      return NULL;
    }
    if (got == 0) break;
    for (char *p = buf; p + sizeof(struct inotify_event) <= buf + got;) {
      const struct inotify_event *e = (const struct inotify_event *)p;
      if (p + sizeof(struct inotify_event) + e->len > buf + got) break;
      napi_value wd, mask, name;
      CHECK(napi_create_int32(env, e->wd, &wd));
      CHECK(napi_create_uint32(env, e->mask, &mask));
      CHECK(napi_create_string_utf8(env, e->len ? e->name : "", e->len ? strnlen(e->name, e->len) : 0, &name));
      CHECK(napi_set_element(env, arr, n++, wd));
      CHECK(napi_set_element(env, arr, n++, mask));
      CHECK(napi_set_element(env, arr, n++, name));
      p += sizeof(struct inotify_event) + e->len;
    }
  }
  return arr;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umount", NULL, js_umount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lgetxattrs", NULL, js_lgetxattrs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"xattrTree", NULL, js_xattr_tree, NULL, NULL, NULL, napi_enumerable, NULL},
      {"inotifyInit", NULL, js_inotify_init, NULL, NULL, NULL, napi_enumerable, NULL},
      {"inotifyAdd", NULL, js_inotify_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"inotifyRead", NULL, js_inotify_read, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
