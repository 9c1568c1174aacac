/* syscalls.c - what a system call costs on this machine, for make bench's
 * table header: a PAM cycle is mostly system calls, so their price decides
 * how much of a login's time is the kernel's.
 *
 *   syscalls FILE      (FILE: any readable regular file)
 *
 * Prints one line "name=us ..." of means over 20,000 calls each: getppid,
 * stat of a missing path, lstat of FILE, open + fstat + close of FILE,
 * faccessat of FILE, and socket + connect + close to /dev/log (what glibc's
 * syslog does per message when no syslog daemon listens). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define N 20000

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un log = { .sun_family = AF_UNIX };
	struct stat st;
	double t0;
	int i, fd, fails = 0;

	if (argc != 2)
		return 2;
	strcpy(log.sun_path, "/dev/log");
	t0 = now_us();
	for (i = 0; i < N; i++)
		(void)syscall(SYS_getppid);
	printf("getppid=%.2f", (now_us() - t0) / N);
	t0 = now_us();
	for (i = 0; i < N; i++)
		(void)stat("/nonexistent/pam_jwt.conf", &st);
	printf(" stat_missing=%.2f", (now_us() - t0) / N);
	t0 = now_us();
	for (i = 0; i < N; i++)
		(void)fstatat(AT_FDCWD, argv[1], &st, AT_SYMLINK_NOFOLLOW);
	printf(" lstat=%.2f", (now_us() - t0) / N);
	t0 = now_us();
	for (i = 0; i < N; i++)
		fails += faccessat(AT_FDCWD, argv[1], R_OK, AT_EACCESS) != 0;
	printf(" faccessat=%.2f", (now_us() - t0) / N);
	t0 = now_us();
	for (i = 0; i < N; i++) {
		fd = open(argv[1], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			(void)fstat(fd, &st);
			(void)close(fd);
		}
	}
	printf(" open_fstat_close=%.2f", (now_us() - t0) / N);
	t0 = now_us();
	for (i = 0; i < N; i++) {
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			(void)connect(fd, (struct sockaddr *)&log, sizeof(log));
			(void)close(fd);
		}
	}
	printf(" socket_connect_close=%.2f\n", (now_us() - t0) / N);
	return fails == 0 ? 0 : 1;
}
