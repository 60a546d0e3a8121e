/*
 * banned.h - libc calls that are too easy to misuse; included by every
 * source file so that using one fails to compile (after git's banned.h).
 */
#ifndef CV_BANNED_H
#define CV_BANNED_H

#define CV_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) CV_BANNED(strcpy)
#undef strcat
#define strcat(x, y) CV_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) CV_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) CV_BANNED(strncat)
#undef sprintf
#define sprintf(...) CV_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) CV_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) CV_BANNED(strtok)
#undef gets
#define gets(x) CV_BANNED(gets)
#undef atoi
#define atoi(x) CV_BANNED(atoi)

#endif
