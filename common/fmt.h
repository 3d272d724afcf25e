/*
 * Human-readable sizes, rates and durations, the same in both binaries
 * (the laptop's live rows and recap, the agent's progress lines and
 * summaries).  Pure functions: buf gets at most n bytes, NUL-terminated.
 */
#ifndef CN_FMT_H
#define CN_FMT_H

#include <stddef.h>

/* "0 B", "512 B", "1.0 KiB", "5.0 MiB", "512 MiB", "1.2 GiB". */
void	fmt_bytes(char *buf, size_t n, double bytes);
/* fmt_bytes + "/s". */
void	fmt_rate(char *buf, size_t n, double bps);
/* "0s", "48s", "5m12s", "2h03m", "3d04h"; "?" for negative or NaN. */
void	fmt_duration(char *buf, size_t n, double s);

#endif
