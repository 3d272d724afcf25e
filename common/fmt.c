/* Sizes, rates and durations for people to read (fmt.h). */
#include <math.h>
#include <stdio.h>

#include "fmt.h"

void
fmt_bytes(char *buf, size_t n, double bytes)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB",
	    "PiB", "EiB" };
	double v;
	int u = -1;

	if (!(bytes >= 0) || isinf(bytes))
		bytes = 0;
	if (bytes < 1024) {
		snprintf(buf, n, "%.0f B", bytes);
		return;
	}
	v = bytes;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	/* "1023.97 KiB" would print as "1024.0 KiB": say 1.0 MiB. */
	if (v >= 1023.95 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v >= 100)
		snprintf(buf, n, "%.0f %s", v, unit[u]);
	else
		snprintf(buf, n, "%.1f %s", v, unit[u]);
}

void
fmt_rate(char *buf, size_t n, double bps)
{
	char b[32];

	fmt_bytes(b, sizeof(b), bps);
	snprintf(buf, n, "%s/s", b);
}

void
fmt_duration(char *buf, size_t n, double s)
{
	long long t;

	if (!(s >= 0) || s > 1e12) {
		snprintf(buf, n, "?");
		return;
	}
	t = (long long)(s + 0.5);
	if (t < 60)
		snprintf(buf, n, "%llds", t);
	else if (t < 3600)
		snprintf(buf, n, "%lldm%02llds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, n, "%lldh%02lldm", t / 3600, t % 3600 / 60);
	else
		snprintf(buf, n, "%lldd%02lldh", t / 86400, t % 86400 / 3600);
}
