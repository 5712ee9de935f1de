// Functional data of a memory too large to allocate up front: fixed-size chunks allocated on first write
// (or when a DMI pointer into them is requested). Reading an untouched chunk yields zeros and allocates
// nothing, so an 8 GiB pseudo-channel costs memory only for what is written, plus one pointer per chunk
// in the chunk table (itself allocated on the first write). Without SystemC.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace aqpim::models {

class HbmSparseStore {
 public:
  // chunk_bytes must be a power of two; capacity need not be a multiple of it.
  HbmSparseStore(uint64_t capacity_bytes, uint64_t chunk_bytes);

  // [address, address + length) must lie inside the capacity.
  void read(uint64_t address, unsigned char* destination, uint64_t length) const;
  void write(uint64_t address, const unsigned char* source, uint64_t length);

  // The chunk holding `address`, allocated (zero-filled) if needed: the granule DMI hands out.
  unsigned char* chunk(uint64_t address);
  uint64_t chunk_base(uint64_t address) const { return address & ~(chunk_bytes_ - 1); }
  // Last address of that chunk, clipped to the capacity.
  uint64_t chunk_last(uint64_t address) const;

  uint64_t capacity_bytes() const { return capacity_bytes_; }
  uint64_t chunk_bytes() const { return chunk_bytes_; }
  uint64_t allocated_bytes() const { return allocated_chunks_ * chunk_bytes_; }
  // Frees every chunk (pointers handed out before become dangling: invalidate DMI first).
  void clear();

 private:
  const unsigned char* find(uint64_t chunk_index) const {
    return chunk_index < chunks_.size() ? chunks_[chunk_index].get() : nullptr;
  }
  // Calls visit(chunk_index, offset_in_chunk, offset_in_buffer, bytes) per chunk the range touches.
  template <class Visit>
  void for_each_piece(uint64_t address, uint64_t length, Visit&& visit) const;

  uint64_t capacity_bytes_;
  uint64_t chunk_bytes_;
  unsigned chunk_shift_;
  std::vector<std::unique_ptr<unsigned char[]>> chunks_;
  uint64_t allocated_chunks_ = 0;
};

}  // namespace aqpim::models
