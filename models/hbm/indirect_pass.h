// An intra-row indirection pass (the paper's PIM_RET, docs/models-hbm.md "Intra-row indirection"): a PIM
// unit looks values up in a table that fills DRAM rows (an inner-product table of 512 fp16 products is one
// 1 KB row; a value codebook, one row per dimension). The indices (packed codes, and per-token scalars
// riding along) sit in other rows of the same bank, and a bank has one row buffer: so the pass alternates.
// It reads the index streams' next `tokens_per_chunk` tokens into the PE's register file (a sequential
// stream, rows opened and closed as a bank stream does), then opens each table row in turn, reads it once
// per token of the chunk (one column access each, wherever the index register points: every access a row
// hit, spaced by tCCD_L), and closes it; and so on, chunk after chunk. Every bank of the stream does the
// same in lockstep (all-bank commands).
#pragma once

#include <cstdint>

namespace aqpim::models::hbm {

struct IndirectPass {
  struct IndexStream {
    uint64_t offset = 0;          // bank offset of the first token's index
    uint64_t bits_per_token = 0;  // 0: the stream is unused
  };
  IndexStream index[2];           // e.g. the PE's packed codes, and the tokens' fp32 probabilities
  uint64_t tokens = 0;            // tokens the pass covers
  uint64_t tokens_per_chunk = 0;  // what the register file holds of them
  uint64_t table_offset = 0;      // bank offset of the first table row (row aligned)
  uint64_t table_rows = 0;        // rows looked up after each chunk, one after another
  // A table spanning several rows (a value codebook of K x d fp16 entries) is read row by row, each row
  // serving the tokens whose index falls into it: timing never depends on data, so each row is charged an
  // even share, ceil(chunk tokens / rows_per_table) lookups. 1: every row serves every token.
  uint64_t rows_per_table = 1;

  uint64_t chunks() const { return tokens_per_chunk ? (tokens + tokens_per_chunk - 1) / tokens_per_chunk : 0; }
  // Bytes [first, end) of index stream s that chunk c reads: whole bytes around its tokens' bits.
  uint64_t chunk_first_byte(unsigned s, uint64_t c) const {
    return index[s].offset + c * tokens_per_chunk * index[s].bits_per_token / 8;
  }
  uint64_t chunk_end_byte(unsigned s, uint64_t c) const {
    const uint64_t end_token = c + 1 == chunks() ? tokens : (c + 1) * tokens_per_chunk;
    return index[s].offset + (end_token * index[s].bits_per_token + 7) / 8;
  }
  uint64_t chunk_tokens(uint64_t c) const {
    return c + 1 == chunks() ? tokens - c * tokens_per_chunk : tokens_per_chunk;
  }
  uint64_t lookups_per_row(uint64_t c) const { return (chunk_tokens(c) + rows_per_table - 1) / rows_per_table; }
  // Bytes of index stream s the whole pass reads (what a functional payload carries of it).
  uint64_t index_bytes(unsigned s) const { return index[s].bits_per_token ? (tokens * index[s].bits_per_token + 7) / 8 : 0; }
};

}  // namespace aqpim::models::hbm
