#ifndef RECUR_CLAPACK_SHIM_H
#define RECUR_CLAPACK_SHIM_H
#include <cblas.h>

// OpenBLAS exports LAPACK's Fortran symbols but Debian builds it without LAPACKE.
// Declaring the few we use avoids <lapack.h>'s hidden trailing string-length arguments.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
            double *b, const int *ldb, int *info);
void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b,
             const int *ldb, double *s, const double *rcond, int *rank, double *work,
             const int *lwork, int *iwork, int *info);
#endif
