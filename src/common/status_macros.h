#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Propagates a non-OK absl::Status out of the current function.
#define KAUDIT_RETURN_IF_ERROR(expr)            \
  do {                                          \
    if (absl::Status _st = (expr); !_st.ok()) { \
      return _st;                               \
    }                                           \
  } while (0)

#define KAUDIT_CONCAT_INNER(a, b) a##b
#define KAUDIT_CONCAT(a, b) KAUDIT_CONCAT_INNER(a, b)

// Assigns the value of an absl::StatusOr<T> expression to `lhs`, or returns its status.
#define KAUDIT_ASSIGN_OR_RETURN(lhs, expr) \
  KAUDIT_ASSIGN_OR_RETURN_IMPL(KAUDIT_CONCAT(_status_or_, __LINE__), lhs, expr)
#define KAUDIT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()
