/*
 * echo-server: a small socket-activated echo server for tspod's tests.
 *
 * Serves every socket handed over with the sd_listen_fds(3) protocol
 * (LISTEN_PID must equal our pid, LISTEN_FDS >= 1, fds start at 3):
 *   - listening stream/seqpacket sockets (tcp4, tcp6, unix): accept and echo
 *     each connection until the peer closes; after the peer's EOF the pending
 *     data is written and the connection is closed;
 *   - a connected stream socket (Accept=yes style): echoed like a connection;
 *   - datagram sockets (udp4, udp6, unix): each datagram is sent back to its
 *     sender (unanswerable senders, e.g. unbound unix clients, are skipped).
 * With `-p PORT` (or `--port PORT`) and no activated sockets it binds
 * 0.0.0.0:PORT (tcp) itself. Exits 0 on SIGTERM/SIGINT. With NOTIFY_SOCKET set it
 * tells systemd READY=1 once it serves (sd_notify(3)).
 *
 * Build: gcc -static -O2 -std=gnu11 -o echo-server echo-server.c
 */
#define _GNU_SOURCE /* accept4, ppoll, SOCK_NONBLOCK */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FD_START 3
#define MAX_SLOTS 1024
#define BUF_SIZE 65536

enum kind { K_FREE, K_LISTEN, K_DGRAM, K_CONN };

struct slot {
    enum kind kind;
    int fd;
    int eof;            /* peer has shut down its write side */
    size_t off, len;    /* pending echo bytes in buf[off..off+len) */
    char *buf;
};

static struct slot slots[MAX_SLOTS];
static struct pollfd pfds[MAX_SLOTS];
static volatile sig_atomic_t stop_signal;
static char dgram_buf[BUF_SIZE];

static void on_signal(int sig) { stop_signal = sig; }

static void die(const char *msg) {
    fprintf(stderr, "echo-server: %s\n", msg);
    exit(1);
}

static void usage(int code) {
    fprintf(code ? stderr : stdout,
            "echo-server: usage: echo-server [-p PORT|--port PORT]\n"
            "  serves sockets passed with LISTEN_FDS/LISTEN_PID (sd_listen_fds);\n"
            "  with -p and no activated sockets, listens on 0.0.0.0:PORT/tcp\n");
    exit(code);
}

static void set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int add_slot(enum kind kind, int fd) {
    for (int i = 0; i < MAX_SLOTS; i++) {
        if (slots[i].kind != K_FREE) continue;
        if (kind == K_CONN && !(slots[i].buf = malloc(BUF_SIZE))) return -1;
        slots[i].kind = kind;
        slots[i].fd = fd;
        slots[i].eof = 0;
        slots[i].off = slots[i].len = 0;
        set_nonblock(fd);
        return i;
    }
    return -1;
}

static void close_slot(struct slot *s) {
    close(s->fd);
    free(s->buf);
    memset(s, 0, sizeof *s);
}

/* Parses a non-negative decimal integer; returns -1 if invalid. */
static long parse_num(const char *s) {
    char *end;
    if (!s || !*s) return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0) return -1;
    return v;
}

/* sd_listen_fds(3): number of activated fds meant for this process, or 0. */
static int listen_fds(void) {
    long pid = parse_num(getenv("LISTEN_PID"));
    long n = parse_num(getenv("LISTEN_FDS"));
    if (pid <= 0 || pid != (long)getpid() || n < 1) return 0;
    if (n > MAX_SLOTS / 2) die("LISTEN_FDS is too large");
    return (int)n;
}

/* The i-th colon-separated entry of LISTEN_FDNAMES ("" if absent). */
static const char *nth_name(const char *names, int i, int *len) {
    const char *p = names;
    for (int k = 0; p && k < i; k++) {
        p = strchr(p, ':');
        if (p) p++;
    }
    *len = p ? (int)strcspn(p, ":") : 0;
    return p ? p : "";
}

/* Classifies an activated fd and registers it; returns 0 on success. */
static int adopt_fd(int fd) {
    int type = 0, acc = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
        fprintf(stderr, "echo-server: fd %d is not a socket (%s), ignoring\n", fd, strerror(errno));
        return -1;
    }
    len = sizeof acc;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0) acc = 0;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (type == SOCK_DGRAM) return add_slot(K_DGRAM, fd) < 0;
    if (type == SOCK_STREAM || type == SOCK_SEQPACKET)
        return add_slot(acc ? K_LISTEN : K_CONN, fd) < 0;
    fprintf(stderr, "echo-server: fd %d has unsupported socket type %d, ignoring\n", fd, type);
    return -1;
}

static int bind_port(long port) {
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                              .sin_addr.s_addr = htonl(INADDR_ANY) };
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket() failed");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 128) < 0) {
        fprintf(stderr, "echo-server: cannot listen on 0.0.0.0:%ld: %s\n", port, strerror(errno));
        exit(1);
    }
    return fd;
}

static void do_accept(struct slot *s) {
    for (;;) {
        int c = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) return; /* EAGAIN, or a transient error such as ECONNABORTED/EMFILE */
        if (add_slot(K_CONN, c) < 0) close(c);
    }
}

static void do_dgram(struct slot *s) {
    for (;;) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(s->fd, dgram_buf, sizeof dgram_buf, MSG_DONTWAIT,
                             (struct sockaddr *)&from, &flen);
        if (n < 0) return;
        if (flen <= sizeof(sa_family_t)) continue; /* unbound unix sender: nowhere to reply */
        sendto(s->fd, dgram_buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
               (struct sockaddr *)&from, flen);
    }
}

/* Echoes on a connection; returns -1 when it should be closed. */
static int do_conn(struct slot *s, short revents) {
    if (s->len == 0 && !s->eof && (revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = recv(s->fd, s->buf, BUF_SIZE, MSG_DONTWAIT);
        if (n > 0) { s->off = 0; s->len = (size_t)n; }
        else if (n == 0) s->eof = 1;
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
    }
    while (s->len > 0) {
        ssize_t n = send(s->fd, s->buf + s->off, s->len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
            return -1;
        }
        s->off += (size_t)n;
        s->len -= (size_t)n;
    }
    if (s->eof && s->len == 0) return -1; /* everything echoed: close */
    return 0;
}

/* sd_notify(0, "READY=1"): one datagram to $NOTIFY_SOCKET ('@' = abstract namespace). */
static void notify_ready(void) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path) return;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    size_t len = strlen(path);
    if (len >= sizeof addr.sun_path) return;
    memcpy(addr.sun_path, path, len);
    if (path[0] == '@') addr.sun_path[0] = 0;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
    if (sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&addr, alen) < 0)
        fprintf(stderr, "echo-server: sd_notify: %s\n", strerror(errno));
    close(fd);
}

int main(int argc, char **argv) {
    long port = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-p") || !strcmp(a, "--port")) {
            if (++i >= argc) usage(1);
            port = parse_num(argv[i]);
        } else if (!strncmp(a, "--port=", 7)) {
            port = parse_num(a + 7);
        } else if (!strncmp(a, "-p", 2) && a[2]) {
            port = parse_num(a + 2);
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(0);
        } else {
            usage(1);
        }
        if (port < 1 || port > 65535) die("invalid port");
    }

    /* SIGTERM/SIGINT stay blocked except inside ppoll(), so a signal can't slip in
     * between the stop_signal check and the wait. PID 1 needs the handlers. */
    struct sigaction sa = { .sa_handler = on_signal };
    sigset_t stop_set, wait_mask;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_set, &wait_mask);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char line[4096];
    int n = listen_fds(), used = 0, served = 0;
    if (n > 0) {
        const char *names = getenv("LISTEN_FDNAMES");
        used = snprintf(line, sizeof line, "serving %d socket%s:", n, n == 1 ? "" : "s");
        for (int i = 0; i < n; i++) {
            int nlen = 0;
            const char *name = nth_name(names, i, &nlen);
            if (used < (int)sizeof line)
                used += snprintf(line + used, sizeof line - used, nlen ? " %d(%.*s)" : " %d",
                                 FD_START + i, nlen, name);
            if (adopt_fd(FD_START + i) == 0) served++;
        }
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
    } else if (port > 0) {
        int fd = bind_port(port);
        snprintf(line, sizeof line, "serving 1 socket: %d(tcp 0.0.0.0:%ld)", fd, port);
        served = add_slot(K_LISTEN, fd) == 0;
    } else {
        const char *pid = getenv("LISTEN_PID");
        fprintf(stderr, "echo-server: no activated sockets: LISTEN_PID=%s (my pid %ld), "
                        "LISTEN_FDS=%s; run under socket activation or pass -p PORT\n",
                pid ? pid : "(unset)", (long)getpid(),
                getenv("LISTEN_FDS") ? getenv("LISTEN_FDS") : "(unset)");
        return 1;
    }
    if (served == 0) die("none of the passed file descriptors is a usable socket");
    fprintf(stderr, "echo-server: %s\n", line);
    fflush(stderr);
    notify_ready();

    while (!stop_signal) {
        int np = 0;
        for (int i = 0; i < MAX_SLOTS; i++) {
            struct slot *s = &slots[i];
            pfds[i].fd = -1; /* poll() ignores negative fds */
            pfds[i].revents = 0;
            if (s->kind == K_FREE) continue;
            pfds[i].fd = s->fd;
            pfds[i].events = s->kind != K_CONN ? POLLIN : s->len ? POLLOUT : POLLIN;
            np = i + 1;
        }
        if (ppoll(pfds, (nfds_t)np, NULL, &wait_mask) < 0) {
            if (errno == EINTR) continue;
            die("poll() failed");
        }
        for (int i = 0; i < np; i++) {
            struct slot *s = &slots[i];
            if (!pfds[i].revents || s->kind == K_FREE || pfds[i].fd != s->fd) continue;
            if (s->kind == K_LISTEN) do_accept(s);
            else if (s->kind == K_DGRAM) do_dgram(s);
            else if (do_conn(s, pfds[i].revents) < 0) close_slot(s);
        }
    }
    fprintf(stderr, "echo-server: exiting on signal %d\n", (int)stop_signal);
    return 0;
}
