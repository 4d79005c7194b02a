#ifndef ATTENDANCE_CFASTCGI_SHIM_H
#define ATTENDANCE_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#endif
