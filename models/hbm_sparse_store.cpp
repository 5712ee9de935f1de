#include "models/hbm_sparse_store.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace aqpim::models {

HbmSparseStore::HbmSparseStore(uint64_t capacity_bytes, uint64_t chunk_bytes)
    : capacity_bytes_(capacity_bytes), chunk_bytes_(chunk_bytes), chunk_shift_(0) {
  if (chunk_bytes == 0 || (chunk_bytes & (chunk_bytes - 1)) != 0)
    throw std::invalid_argument("store_chunk_bytes = " + std::to_string(chunk_bytes) + ": must be a power of two");
  while ((uint64_t(1) << chunk_shift_) < chunk_bytes) ++chunk_shift_;
}

uint64_t HbmSparseStore::chunk_last(uint64_t address) const {
  return std::min(chunk_base(address) + chunk_bytes_, capacity_bytes_) - 1;
}

template <class Visit>
void HbmSparseStore::for_each_piece(uint64_t address, uint64_t length, Visit&& visit) const {
  uint64_t done = 0;
  while (done < length) {
    const uint64_t at = address + done;
    const uint64_t offset = at & (chunk_bytes_ - 1);
    const uint64_t bytes = std::min(length - done, chunk_bytes_ - offset);
    visit(at >> chunk_shift_, offset, done, bytes);
    done += bytes;
  }
}

void HbmSparseStore::read(uint64_t address, unsigned char* destination, uint64_t length) const {
  for_each_piece(address, length, [&](uint64_t index, uint64_t offset, uint64_t at, uint64_t bytes) {
    const unsigned char* data = find(index);
    if (data)
      std::memcpy(destination + at, data + offset, bytes);
    else
      std::memset(destination + at, 0, bytes);
  });
}

void HbmSparseStore::write(uint64_t address, const unsigned char* source, uint64_t length) {
  for_each_piece(address, length, [&](uint64_t index, uint64_t offset, uint64_t at, uint64_t bytes) {
    std::memcpy(chunk(index << chunk_shift_) + offset, source + at, bytes);
  });
}

unsigned char* HbmSparseStore::chunk(uint64_t address) {
  const uint64_t index = address >> chunk_shift_;
  if (chunks_.empty()) chunks_.resize(((capacity_bytes_ - 1) >> chunk_shift_) + 1);
  auto& slot = chunks_[index];
  if (!slot) {
    slot.reset(new unsigned char[chunk_bytes_]());
    ++allocated_chunks_;
  }
  return slot.get();
}

void HbmSparseStore::clear() {
  chunks_.clear();
  chunks_.shrink_to_fit();
  allocated_chunks_ = 0;
}

}  // namespace aqpim::models
