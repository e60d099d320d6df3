/* The few system calls Node has no binding for (see DESIGN.md): subreaping and
 * reaping a re-parented container, execve for the runtime wrapper, flock for
 * the state store, mount/mknod/xattr for layers and root filesystems, and unix
 * datagram sockets for sd_notify, SCM_RIGHTS receive for runc's console socket and
 * TIOCSWINSZ for container terminals, the API service's answering thread's priority, and openat2 so container paths resolve inside the
 * container's root with the kernel's help. Everything else stays in TypeScript. */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

#define MAX_STR 8192

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_value code, message, error;
  const char *name = "EUNKNOWN";
  switch (err) {
    case EPERM: name = "EPERM"; break;
    case ENOENT: name = "ENOENT"; break;
    case ECHILD: name = "ECHILD"; break;
    case EINVAL: name = "EINVAL"; break;
    case EACCES: name = "EACCES"; break;
    case EBUSY: name = "EBUSY"; break;
    case EEXIST: name = "EEXIST"; break;
    case ENOTDIR: name = "ENOTDIR"; break;
    case ECONNREFUSED: name = "ECONNREFUSED"; break;
    case EAGAIN: name = "EAGAIN"; break;
    case ENOTSUP: name = "ENOTSUP"; break;
    case ENAMETOOLONG: name = "ENAMETOOLONG"; break;
    case ETIMEDOUT: name = "ETIMEDOUT"; break;
    case ELOOP: name = "ELOOP"; break;
    case EXDEV: name = "EXDEV"; break;
    case EISDIR: name = "EISDIR"; break;
    case ENOSYS: name = "ENOSYS"; break;
    case EBADF: name = "EBADF"; break;
  }
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_value errnum;
  napi_create_int32(env, err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_throw(env, error);
  return NULL;
}

static int get_str(napi_env env, napi_value v, char *buf, size_t len) {
  size_t out;
  return napi_get_value_string_utf8(env, v, buf, len, &out) == napi_ok ? 0 : -1;
}

static int get_i32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

#define ARGS(n)                                     \
  size_t argc = n;                                  \
  napi_value argv[n];                               \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL)

static napi_value set_subreaper(napi_env env, napi_callback_info info) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return throw_errno(env, "prctl", errno);
  return undefined(env);
}

/* waitpid(pid, nohang) -> undefined while running, {code} or {signal} once reaped. */
static napi_value wait_pid(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t pid;
  bool nohang = false;
  if (get_i32(env, argv[0], &pid)) return throw_errno(env, "waitpid", EINVAL);
  if (argc > 1) napi_get_value_bool(env, argv[1], &nohang);
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, nohang ? WNOHANG : 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, "waitpid", errno);
  if (r == 0) return undefined(env);
  napi_value obj;
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "pid", make_int(env, r));
  if (WIFEXITED(status)) napi_set_named_property(env, obj, "code", make_int(env, WEXITSTATUS(status)));
  else if (WIFSIGNALED(status)) napi_set_named_property(env, obj, "signal", make_int(env, WTERMSIG(status)));
  return obj;
}

static char **string_array(napi_env env, napi_value arr) {
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  char **out = calloc(n + 1, sizeof(char *));
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, arr, i, &item);
    size_t len = 0;
    napi_get_value_string_utf8(env, item, NULL, 0, &len);
    out[i] = malloc(len + 1);
    napi_get_value_string_utf8(env, item, out[i], len + 1, &len);
  }
  return out;
}

/* execve(path, argv, env): replaces this process; returns only by throwing. */
static napi_value exec_ve(napi_env env, napi_callback_info info) {
  ARGS(3);
  char path[MAX_STR];
  if (get_str(env, argv[0], path, sizeof path)) return throw_errno(env, "execve", EINVAL);
  char **args = string_array(env, argv[1]);
  char **envp = string_array(env, argv[2]);
  execve(path, args, envp);
  return throw_errno(env, "execve", errno);
}

/* flock(fd, exclusive, nonblocking) -> true when taken, false when it would block. */
static napi_value flock_fd(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd;
  bool exclusive = true, nonblock = false;
  if (get_i32(env, argv[0], &fd)) return throw_errno(env, "flock", EINVAL);
  if (argc > 1) napi_get_value_bool(env, argv[1], &exclusive);
  if (argc > 2) napi_get_value_bool(env, argv[2], &nonblock);
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (nonblock ? LOCK_NB : 0);
  int r;
  do {
    r = flock(fd, op);
  } while (r < 0 && errno == EINTR);
  napi_value res;
  if (r < 0 && errno == EWOULDBLOCK) {
    napi_get_boolean(env, false, &res);
    return res;
  }
  if (r < 0) return throw_errno(env, "flock", errno);
  napi_get_boolean(env, true, &res);
  return res;
}

static napi_value funlock(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (get_i32(env, argv[0], &fd)) return throw_errno(env, "flock", EINVAL);
  if (flock(fd, LOCK_UN) < 0) return throw_errno(env, "flock", errno);
  return undefined(env);
}

/* mount(source, target, fstype, flags, data) */
static napi_value do_mount(napi_env env, napi_callback_info info) {
  ARGS(5);
  char src[MAX_STR], target[MAX_STR], fstype[256];
  static char data[65536];
  int32_t flags = 0;
  data[0] = 0;
  if (get_str(env, argv[0], src, sizeof src) || get_str(env, argv[1], target, sizeof target) ||
      get_str(env, argv[2], fstype, sizeof fstype) || get_i32(env, argv[3], &flags))
    return throw_errno(env, "mount", EINVAL);
  napi_valuetype t;
  napi_typeof(env, argv[4], &t);
  if (t == napi_string && get_str(env, argv[4], data, sizeof data)) return throw_errno(env, "mount", EINVAL);
  if (mount(src, target, fstype[0] ? fstype : NULL, (unsigned long)(uint32_t)flags, data[0] ? data : NULL) < 0)
    return throw_errno(env, "mount", errno);
  return undefined(env);
}

/* umount(target, flags) */
static napi_value do_umount(napi_env env, napi_callback_info info) {
  ARGS(2);
  char target[MAX_STR];
  int32_t flags = 0;
  if (get_str(env, argv[0], target, sizeof target)) return throw_errno(env, "umount2", EINVAL);
  if (argc > 1) get_i32(env, argv[1], &flags);
  if (umount2(target, flags) < 0) return throw_errno(env, "umount2", errno);
  return undefined(env);
}

/* mknod(path, mode, major, minor): mode includes the file type bits. */
static napi_value do_mknod(napi_env env, napi_callback_info info) {
  ARGS(4);
  char path[MAX_STR];
  int32_t mode, major_n, minor_n;
  if (get_str(env, argv[0], path, sizeof path) || get_i32(env, argv[1], &mode) || get_i32(env, argv[2], &major_n) ||
      get_i32(env, argv[3], &minor_n))
    return throw_errno(env, "mknod", EINVAL);
  if (mknod(path, (mode_t)mode, makedev(major_n, minor_n)) < 0) return throw_errno(env, "mknod", errno);
  return undefined(env);
}

/* lsetxattr(path, name, value) */
static napi_value do_lsetxattr(napi_env env, napi_callback_info info) {
  ARGS(3);
  char path[MAX_STR], name[256], value[MAX_STR];
  if (get_str(env, argv[0], path, sizeof path) || get_str(env, argv[1], name, sizeof name) ||
      get_str(env, argv[2], value, sizeof value))
    return throw_errno(env, "lsetxattr", EINVAL);
  if (lsetxattr(path, name, value, strlen(value), 0) < 0) return throw_errno(env, "lsetxattr", errno);
  return undefined(env);
}

/* lgetxattr(path, name) -> string or undefined when absent */
static napi_value do_lgetxattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  char path[MAX_STR], name[256], value[MAX_STR];
  if (get_str(env, argv[0], path, sizeof path) || get_str(env, argv[1], name, sizeof name))
    return throw_errno(env, "lgetxattr", EINVAL);
  ssize_t n = lgetxattr(path, name, value, sizeof value - 1);
  if (n < 0) {
    if (errno == ENODATA || errno == ENOTSUP) return undefined(env);
    return throw_errno(env, "lgetxattr", errno);
  }
  napi_value r;
  napi_create_string_utf8(env, value, (size_t)n, &r);
  return r;
}

/* Fill a sockaddr_un; a leading '@' means the abstract namespace, as systemd writes it. */
static int fill_addr(const char *path, struct sockaddr_un *addr, socklen_t *len) {
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof addr->sun_path) return -1;
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  memcpy(addr->sun_path, path, n);
  if (path[0] == '@') addr->sun_path[0] = 0;
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
  return 0;
}

/* dgramSend(path, buffer): one datagram to a unix socket (sd_notify). */
static napi_value dgram_send(napi_env env, napi_callback_info info) {
  ARGS(2);
  char path[512];
  void *data;
  size_t len;
  if (get_str(env, argv[0], path, sizeof path)) return throw_errno(env, "sendto", EINVAL);
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) return throw_errno(env, "sendto", EINVAL);
  struct sockaddr_un addr;
  socklen_t alen;
  if (fill_addr(path, &addr, &alen)) return throw_errno(env, "sendto", ENAMETOOLONG);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  ssize_t r = sendto(fd, data, len, MSG_NOSIGNAL, (struct sockaddr *)&addr, alen);
  int err = errno;
  close(fd);
  if (r < 0) return throw_errno(env, "sendto", err);
  return undefined(env);
}

/* dgramBind(path) -> fd of a non-blocking unix datagram socket bound at path. */
static napi_value dgram_bind(napi_env env, napi_callback_info info) {
  ARGS(1);
  char path[512];
  if (get_str(env, argv[0], path, sizeof path)) return throw_errno(env, "bind", EINVAL);
  struct sockaddr_un addr;
  socklen_t alen;
  if (fill_addr(path, &addr, &alen)) return throw_errno(env, "bind", ENAMETOOLONG);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (bind(fd, (struct sockaddr *)&addr, alen) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  return make_int(env, fd);
}

/* dgramRecv(fd) -> Buffer, or undefined when nothing is waiting. */
static napi_value dgram_recv(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (get_i32(env, argv[0], &fd)) return throw_errno(env, "recv", EINVAL);
  static char buf[32768];
  ssize_t n;
  do {
    n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return undefined(env);
    return throw_errno(env, "recv", errno);
  }
  napi_value out;
  void *dst;
  napi_create_buffer_copy(env, (size_t)n, buf, &dst, &out);
  return out;
}

/* pollReadable([fd...], timeoutMs): the index of the first fd with input (a listening
 * socket: a pending connection), or -1 on timeout or a signal. Blocks: only for a
 * process that has nothing else to do meanwhile (the --listen monitor while armed). */
static napi_value poll_readable(napi_env env, napi_callback_info info) {
  ARGS(2);
  uint32_t n = 0;
  int32_t timeout;
  if (napi_get_array_length(env, argv[0], &n) != napi_ok || n == 0 || n > 64 || get_i32(env, argv[1], &timeout))
    return throw_errno(env, "poll", EINVAL);
  struct pollfd pfds[64];
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    int32_t fd;
    napi_get_element(env, argv[0], i, &el);
    if (get_i32(env, el, &fd)) return throw_errno(env, "poll", EINVAL);
    pfds[i].fd = fd;
    pfds[i].events = POLLIN;
    pfds[i].revents = 0;
  }
  int r = poll(pfds, n, timeout);
  if (r < 0 && errno != EINTR) return throw_errno(env, "poll", errno);
  int32_t found = -1;
  for (uint32_t i = 0; r > 0 && i < n; i++)
    if (pfds[i].revents) {
      found = (int32_t)i;
      break;
    }
  napi_value out;
  napi_create_int32(env, found, &out);
  return out;
}

/* fdIsOpen(fd): fcntl(F_GETFD) succeeds. */
static napi_value fd_is_open(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (get_i32(env, argv[0], &fd)) return throw_errno(env, "fcntl", EINVAL);
  napi_value r;
  napi_get_boolean(env, fcntl(fd, F_GETFD) >= 0, &r);
  return r;
}

/* setCloexec(fd, on): whether an fd survives execve. */
static napi_value set_cloexec(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  bool on = true;
  if (get_i32(env, argv[0], &fd)) return throw_errno(env, "fcntl", EINVAL);
  if (argc > 1) napi_get_value_bool(env, argv[1], &on);
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC)) < 0)
    return throw_errno(env, "fcntl", errno);
  return undefined(env);
}

/* raiseThreadPriority(rtPriority, nice, tid): one thread of this process (tid 0: the
 * calling one) runs SCHED_RR at rtPriority, or where that is refused, SCHED_OTHER at nice;
 * either with SCHED_RESET_ON_FORK, so threads and processes it starts get the default
 * policy and nice 0. Answers "realtime", "nice" or "none" (no CAP_SYS_NICE, an RT-less cgroup). */
static napi_value raise_thread_priority(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t rt = 1, nice_value = -10, tid = 0;
  if (argc > 0) get_i32(env, argv[0], &rt);
  if (argc > 1) get_i32(env, argv[1], &nice_value);
  if (argc > 2) get_i32(env, argv[2], &tid);
  if (tid == 0) tid = (int32_t)syscall(SYS_gettid);
  const char *got = "none";
  struct sched_param param = { .sched_priority = rt };
  if (sched_setscheduler(tid, SCHED_RR | SCHED_RESET_ON_FORK, &param) == 0) {
    got = "realtime";
  } else {
    struct sched_param normal = { .sched_priority = 0 };
    if (sched_setscheduler(tid, SCHED_OTHER | SCHED_RESET_ON_FORK, &normal) == 0 &&
        setpriority(PRIO_PROCESS, (id_t)tid, nice_value) == 0)
      got = "nice";
  }
  napi_value out;
  napi_create_string_utf8(env, got, NAPI_AUTO_LENGTH, &out);
  return out;
}

/* pipe() -> [readFd, writeFd], both close-on-exec (a child gets its end through spawn's stdio). */
static napi_value make_pipe(napi_env env, napi_callback_info info) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return throw_errno(env, "pipe2", errno);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, make_int(env, fds[0]));
  napi_set_element(env, arr, 1, make_int(env, fds[1]));
  return arr;
}

/* recvFd(socketFd, timeoutMs) -> the fd sent with SCM_RIGHTS on a connected unix socket
 * (runc's --console-socket sends the pty master this way), close-on-exec; undefined when
 * the peer closed without sending one. Waits at most timeoutMs for the message. */
static napi_value recv_fd(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t sock, timeout = 5000;
  if (get_i32(env, argv[0], &sock)) return throw_errno(env, "recvmsg", EINVAL);
  if (argc > 1) get_i32(env, argv[1], &timeout);
  struct pollfd pfd = {.fd = sock, .events = POLLIN};
  int pr;
  do {
    pr = poll(&pfd, 1, timeout);
  } while (pr < 0 && errno == EINTR);
  if (pr < 0) return throw_errno(env, "poll", errno);
  if (pr == 0) return throw_errno(env, "recvmsg", ETIMEDOUT);
  char data[4096];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl.buf;
  msg.msg_controllen = sizeof ctl.buf;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, "recvmsg", errno);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return make_int(env, fd);
    }
  }
  return undefined(env);
}

/* setWinsize(fd, rows, cols): TIOCSWINSZ on a pty (the kernel sends SIGWINCH to its foreground group). */
static napi_value set_winsize(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd, rows, cols;
  if (get_i32(env, argv[0], &fd) || get_i32(env, argv[1], &rows) || get_i32(env, argv[2], &cols))
    return throw_errno(env, "ioctl", EINVAL);
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) return throw_errno(env, "ioctl", errno);
  return undefined(env);
}

/* getWinsize(fd): [rows, cols] of the terminal on fd (TIOCGWINSZ), e.g. a stdin that is a tty while stdout is not. */
static napi_value get_winsize(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (get_i32(env, argv[0], &fd)) return throw_errno(env, "ioctl", EINVAL);
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) < 0) return throw_errno(env, "ioctl", errno);
  napi_value arr, rows, cols;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int32(env, ws.ws_row, &rows);
  napi_create_int32(env, ws.ws_col, &cols);
  napi_set_element(env, arr, 0, rows);
  napi_set_element(env, arr, 1, cols);
  return arr;
}

/* rawOutput(fd): clears OPOST, which Node's raw mode keeps (it would turn the container's
 * \r\n into \r\r\n). Leaving raw mode restores the saved termios, OPOST included. */
static napi_value raw_output(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (get_i32(env, argv[0], &fd)) return throw_errno(env, "tcsetattr", EINVAL);
  struct termios t;
  if (tcgetattr(fd, &t) < 0) return throw_errno(env, "tcgetattr", errno);
  t.c_oflag &= ~OPOST;
  if (tcsetattr(fd, TCSANOW, &t) < 0) return throw_errno(env, "tcsetattr", errno);
  return undefined(env);
}

/* openat2(dirfd, path, flags, mode, resolve) -> fd (always close-on-exec). resolve takes the
 * RESOLVE_* bits: RESOLVE_IN_ROOT makes dirfd the root for `..` and absolute symlinks. */
static napi_value do_openat2(napi_env env, napi_callback_info info) {
  ARGS(5);
  char path[MAX_STR];
  int32_t dirfd, flags, mode, resolve;
  if (get_i32(env, argv[0], &dirfd) || get_str(env, argv[1], path, sizeof path) || get_i32(env, argv[2], &flags) ||
      get_i32(env, argv[3], &mode) || get_i32(env, argv[4], &resolve))
    return throw_errno(env, "openat2", EINVAL);
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(uint32_t)(flags | O_CLOEXEC);
  /* the kernel refuses a mode without O_CREAT / O_TMPFILE */
  how.mode = (flags & (O_CREAT | __O_TMPFILE)) ? (uint64_t)(uint32_t)mode : 0;
  how.resolve = (uint64_t)(uint32_t)resolve;
  long fd;
  do {
    fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0) return throw_errno(env, "openat2", errno);
  return make_int(env, fd);
}

/* readlinkat(dirfd, path) -> the link's target; with path "" dirfd is an O_PATH fd of the link itself. */
static napi_value do_readlinkat(napi_env env, napi_callback_info info) {
  ARGS(2);
  char path[MAX_STR], target[MAX_STR];
  int32_t dirfd;
  if (get_i32(env, argv[0], &dirfd) || get_str(env, argv[1], path, sizeof path)) return throw_errno(env, "readlinkat", EINVAL);
  ssize_t n = readlinkat(dirfd, path, target, sizeof target);
  if (n < 0) return throw_errno(env, "readlinkat", errno);
  if ((size_t)n >= sizeof target) return throw_errno(env, "readlinkat", ENAMETOOLONG);
  napi_value r;
  napi_create_string_utf8(env, target, (size_t)n, &r);
  return r;
}

#define EXPORT(name, fn)                                      \
  do {                                                        \
    napi_value f;                                             \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f); \
    napi_set_named_property(env, exports, name, f);           \
  } while (0)

static napi_value init(napi_env env, napi_value exports) {
  EXPORT("setSubreaper", set_subreaper);
  EXPORT("waitpid", wait_pid);
  EXPORT("execve", exec_ve);
  EXPORT("flock", flock_fd);
  EXPORT("funlock", funlock);
  EXPORT("mount", do_mount);
  EXPORT("umount", do_umount);
  EXPORT("mknod", do_mknod);
  EXPORT("lsetxattr", do_lsetxattr);
  EXPORT("lgetxattr", do_lgetxattr);
  EXPORT("dgramSend", dgram_send);
  EXPORT("dgramBind", dgram_bind);
  EXPORT("dgramRecv", dgram_recv);
  EXPORT("fdIsOpen", fd_is_open);
  EXPORT("pollReadable", poll_readable);
  EXPORT("setCloexec", set_cloexec);
  EXPORT("pipe", make_pipe);
  EXPORT("recvFd", recv_fd);
  EXPORT("setWinsize", set_winsize);
  EXPORT("getWinsize", get_winsize);
  EXPORT("rawOutput", raw_output);
  EXPORT("openat2", do_openat2);
  EXPORT("readlinkat", do_readlinkat);
  EXPORT("raiseThreadPriority", raise_thread_priority);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
