// The refresh policy: all-bank refresh, windows [k x tREFI, k x tREFI + tRFC) for k >= 1. No command
// issues inside a window, and a row open when a window starts is closed by it (its PREab is counted
// inside tRFC). A time's epoch is the refresh interval [k x tREFI, (k + 1) x tREFI) it lies in.
//
// Another policy (per-bank refresh, postponed refreshes) would be another class with this interface.
// The accelerators lean on this one's shape, though: a window acts on all banks at once and the windows
// are periodic, so a step shifted by whole tREFI, or lying between two windows, is timed alike
// (docs/models-hbm.md, "Periodic fast path").
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>

#include "models/hbm/channel_state.h"

namespace aqpim::models::hbm {

class AllBankRefresh {
 public:
  AllBankRefresh(bool enabled, int64_t tRFC, int64_t tREFI) : enabled(enabled), tRFC(tRFC), tREFI(tREFI) {}

  const bool enabled;
  const int64_t tRFC, tREFI;

  int64_t epoch_of(int64_t t) const { return enabled ? t / tREFI : 0; }
  // t, or the end of the window t lies in. Every command passes through here: defined in the header so
  // that the per-access paths inline it (out of line it cost the short-request path 13%).
  int64_t outside_window(int64_t t) const {
    if (!enabled) return t;
    const int64_t epoch = epoch_of(t);
    const int64_t window_start = epoch * tREFI;
    return (epoch >= 1 && t - window_start < tRFC) ? window_start + tRFC : t;
  }
  int64_t next_window_start(int64_t t) const { return enabled ? (epoch_of(t) + 1) * tREFI : INT64_MAX; }
  // End of the latest window that started at or before t (t past the first window).
  int64_t window_end(int64_t t) const { return epoch_of(t) * tREFI + tRFC; }
  // Column accesses spaced by `spacing` from `first` that issue before the next window, at most `wanted`.
  uint64_t columns_before_next_window(int64_t first, int64_t spacing, uint64_t wanted) const {
    const int64_t window = next_window_start(first);
    if (first + int64_t(wanted - 1) * spacing < window) return wanted;  // the common case, without a division
    return std::min<uint64_t>(wanted, uint64_t((window - 1 - first) / spacing) + 1);
  }
  // A window between the row's ACT and t has closed it.
  void close_row_if_refreshed(BankState& bank, int64_t t) const {
    if (bank.open_row >= 0 && epoch_of(t) > bank.epoch) bank.open_row = -1;
  }
};

}  // namespace aqpim::models::hbm
