/* udpflood: send SIZE-byte UDP datagrams from SRC to DST:PORT at RATE per second for SECONDS, in
 * batches (sendmmsg), and print how many were sent. The throughput bench's load generator: Python
 * cannot send fast enough to find where a data plane stops keeping up. Bounded in count and time.
 *
 * usage: udpflood SRC DST PORT RATE SECONDS [SIZE]            (IPv4 only; addresses in 198.18.0.0/15) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 32
#define MAX_RATE 2000000L
#define MAX_SECONDS 60.0

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int benchmark_range(struct in_addr a) {
    unsigned long host = ntohl(a.s_addr);
    return (host & 0xFFFE0000UL) == 0xC6120000UL; /* 198.18.0.0/15 */
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: udpflood SRC DST PORT RATE SECONDS [SIZE]\n");
        return 2;
    }
    struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
    long rate = atol(argv[4]);
    double seconds = atof(argv[5]);
    int size = argc > 6 ? atoi(argv[6]) : 128;
    if (inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 || inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1 ||
        !benchmark_range(src.sin_addr) || !benchmark_range(dst.sin_addr)) {
        fprintf(stderr, "udpflood: SRC and DST must be IPv4 addresses in 198.18.0.0/15\n");
        return 2;
    }
    if (rate < 1 || rate > MAX_RATE || seconds <= 0 || seconds > MAX_SECONDS || size < 1 || size > 1400) {
        fprintf(stderr, "udpflood: RATE 1..%ld, SECONDS (0, %.0f], SIZE 1..1400\n", MAX_RATE, MAX_SECONDS);
        return 2;
    }
    dst.sin_port = htons((unsigned short)atoi(argv[3]));
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) < 0 ||
        connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) {
        perror("udpflood");
        return 1;
    }
    static char payload[1400];
    memset(payload, 'x', sizeof payload);
    struct iovec iov = {.iov_base = payload, .iov_len = (size_t)size};
    struct mmsghdr msgs[BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
        msgs[i].msg_hdr.msg_iov = &iov;
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    long total = (long)(rate * seconds), sent = 0;
    double start = now();
    while (sent < total) {
        double due = (now() - start) * rate;
        if (sent >= due) {
            struct timespec nap = {0, 20000};
            nanosleep(&nap, NULL);
            continue;
        }
        int batch = (int)(total - sent < BATCH ? total - sent : BATCH);
        int done = sendmmsg(fd, msgs, (unsigned)batch, 0);
        if (done > 0) sent += done;
        else sent += batch; /* a refused or dropped batch counts as sent: the receiver counts what arrived */
        if (now() - start > MAX_SECONDS + 5) break;
    }
    printf("%ld %.6f\n", sent, now() - start);
    return 0;
}
