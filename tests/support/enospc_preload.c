/* Test-only fault injection: while the file named by NOTESD_TEST_ENOSPC_FLAG exists,
 * writes to any file whose name ends with NOTESD_TEST_ENOSPC_SUFFIX fail with ENOSPC,
 * as on a full disk. Loaded into nserver with LD_PRELOAD by tests/integration. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int full(int fd) {
  const char *flag = getenv("NOTESD_TEST_ENOSPC_FLAG"), *suffix = getenv("NOTESD_TEST_ENOSPC_SUFFIX");
  struct stat st;
  if (!flag || !suffix || stat(flag, &st) != 0) return 0;
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = 0;
  size_t s = strlen(suffix);
  if ((size_t)n < s || strcmp(path + n - s, suffix) != 0) return 0;
  errno = ENOSPC;
  return 1;
}

#define NEXT(name) static __typeof__(name) *next; if (!next) next = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)
ssize_t write(int fd, const void *b, size_t n) { NEXT(write); return full(fd) ? -1 : next(fd, b, n); }
ssize_t pwrite(int fd, const void *b, size_t n, off_t o) { NEXT(pwrite); return full(fd) ? -1 : next(fd, b, n, o); }
ssize_t pwrite64(int fd, const void *b, size_t n, off64_t o) { NEXT(pwrite64); return full(fd) ? -1 : next(fd, b, n, o); }
ssize_t writev(int fd, const struct iovec *v, int c) { NEXT(writev); return full(fd) ? -1 : next(fd, v, c); }
ssize_t pwritev(int fd, const struct iovec *v, int c, off_t o) { NEXT(pwritev); return full(fd) ? -1 : next(fd, v, c, o); }
