// The host-visible interface of a PIM unit (one HBM pseudo-channel's bank PEs + buffer-die PE): register
// map, command descriptor and opcodes. Plain C++ with fixed-width fields so firmware can build descriptors
// without SystemC. docs/models-pim.md documents every opcode's operands, SRAM use and timing.
//
// Data formats (little-endian, as the host stores them):
//   bank vectors   fp16 rows of row_elements = sub_vectors * dim, token-major
//   bank codes     packed as core/pq_codec.h packs them: one little-endian bit stream of ceil(log2 K)-bit
//                  codes in token-major order (token n's sub-vector i is code n * sub_vectors + i); a
//                  command's token range must start and end on a byte of that stream
//   bank scalars   fp32, one per token (scores, probabilities, k-means weights)
//   codebook SRAM  fp16 entries; sub-space i's codebook is clusters x dim, codebooks back to back
//   LUT SRAM, accumulators, IO buffer   fp32 entries
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/enum_names.h"

namespace aqpim::hwif::pim {

enum class Opcode : uint32_t {
  nop = 0,
  load_codebook = 1,       // bank vectors -> codebook SRAM
  store_codebook = 2,      // codebook SRAM -> bank
  kmeans_assign = 3,       // bank vectors x codebook -> bank codes (distance + MIN)
  kmeans_accumulate = 4,   // bank vectors, codes, weights -> accumulators (weighted sums, weight sums)
  reduce = 5,              // buffer PE: sum of every selected PE's accumulators -> buffer accumulators
  update_centroids = 6,    // buffer accumulators -> new centroids -> codebook SRAM of every selected PE
  encode = 7,              // as kmeans_assign; the decode-time append of new tokens' codes
  build_lut = 8,           // IO query x codebook -> LUT SRAM
  score = 9,               // bank codes, LUT -> bank scores
  softmax_partial = 10,    // bank scores -> IO (max, sum)
  softmax_normalize = 11,  // bank scores, descriptor (max, sum) -> bank probabilities
  value_histogram = 12,    // bank probabilities, codes -> accumulators (histogram)
  value_output = 13,       // accumulators (histogram) x codebook -> IO output vector
  value_reconstruct = 14,  // bank probabilities, codes, codebook -> accumulators (output vector)
  mac_dot = 15,            // bank fp16 rows . IO query -> bank scores
  mac_weighted = 16,       // bank probabilities, fp16 rows -> accumulators (output vector)
  move_bank_to_io = 17,    // bank bytes -> IO slot of each PE
  move_io_to_bank = 18,    // IO slot of each PE -> bank bytes
  gather_accumulators = 19,  // accumulators of each PE -> its IO slot (fp32; e.g. mac_weighted outputs)
  // The paper's mapping (docs/models-pim.md, "Sub-vector mapping"): each PE owns sub-vectors of a head.
  build_table = 20,    // bank codebooks x IO queries -> inner-product table rows (fp16) in the banks
  score_table = 21,    // bank codes -> row-hit lookups in the table rows -> partial scores summed on the buffer die
  softmax_buffer = 22,  // buffer PE: bank scores + IO partial (max, sum) -> bank probabilities, IO total
  value_table = 23,    // bank codes, probabilities -> row-hit lookups in codebook dimension rows -> IO output
  copy_rows = 24,      // bank bytes -> other bank bytes, in every selected bank (a window's codebook page)
  finish_centroids = 25,  // each PE: own accumulators -> own centroids (buffer die: weight-sum reciprocals)
  score_summed = 26,   // bank codes x LUT SRAM -> partial scores summed on the buffer die -> every bank
  count_
};

enum Flag : uint32_t {
  // Zero the accumulator destination before accumulating (kmeans_accumulate, reduce, value_histogram,
  // value_reconstruct, mac_weighted); without it, these commands add to what the accumulators hold.
  flag_clear_accumulators = 1u << 0,
  // kmeans_accumulate: every token weighs 1 and scalars_offset is not read.
  flag_unweighted = 1u << 1,
  // PE p's j-th sub-vector is sub-vector p + j x span of the head (sub-vector mapping; span: PE 0 to the
  // highest selected PE, interleave_span()): queries and outputs in the IO buffer are whole head vectors of
  // sub_vectors x span sub-vectors, of which each PE takes or gives its own.
  flag_interleaved_sub_vectors = 1u << 2,
  // The codebook is not in the codebook SRAM but in each PE's bank at codebook_offset (sub-vector j's K x d
  // fp16 entries from j x stride, the stride K x d x 2 bytes rounded up to whole rows): kmeans_assign,
  // encode and value_output read it from there, finish_centroids writes it there.
  flag_codebook_in_bank = 1u << 3,
  // kmeans_assign, encode: the MIN (cluster assignment) runs on the buffer-die PE: every PE sends its K
  // distances per token and sub-vector up the link and gets the codes back (the paper's Table I).
  flag_assign_in_buffer = 1u << 4,
  // score_table, value_table: each table row serves a register-file load of indices in one sweep of its
  // columns (every column read at most once) instead of one column access per index.
  flag_coalesced_lookups = 1u << 5,
};

// One command. Fields an opcode does not use are ignored (firmware leaves them zero). Offsets into SRAMs
// count entries (fp16 for the codebook, fp32 otherwise); bank and IO offsets count bytes.
struct Command {
  uint32_t opcode = 0;                     // Opcode
  uint32_t flags = 0;                      // Flag bits
  uint64_t pe_mask = 0;                    // bit p selects bank-level PE p; at least one bit, only existing PEs
  uint32_t first_token = 0;                // per-token bank operands start at this token of their region
  uint32_t count = 0;                      // tokens (rows) per bank
  uint32_t sub_vectors = 0;                // m
  uint32_t clusters = 0;                   // K, at most core::kMaxClusters (4096); >= 2 where codes are read or written
  uint32_t dim = 0;                        // elements per sub-vector; a row holds sub_vectors * dim elements
  uint32_t length = 0;                     // reduce: accumulator entries; moves: bytes per bank
  uint64_t bank_offset = 0;                // fp16 vectors (rows) region, codebook image, or the bank side of a move
  uint64_t codes_offset = 0;               // uint16 codes region
  uint64_t scalars_offset = 0;             // fp32 per-token input region (scores, probabilities, weights)
  uint64_t result_offset = 0;              // fp32 per-token output region (scores, probabilities)
  uint32_t codebook_offset = 0;  // codebook SRAM, fp16 entries; flag_codebook_in_bank: bytes in each bank
  uint32_t lut_offset = 0;                 // LUT SRAM, fp32 entries
  uint32_t accumulator_offset = 0;         // bank PE accumulators, fp32 entries
  uint32_t buffer_accumulator_offset = 0;  // buffer PE accumulators, fp32 entries
  uint32_t io_offset = 0;                  // IO buffer, bytes
  uint32_t io_stride = 0;    // bytes between PE p's IO slot and PE p+1's (slot = io_offset + p * io_stride)
  float softmax_max = 0.0f;  // softmax_normalize: the merged (global) partial
  float softmax_sum = 0.0f;
  // The sub-vector mapping's commands serve `heads` query heads at once (GQA; 0 means 1): their per-token
  // scores and probabilities are token-major, head h of token n at (n x heads + h) x 4 bytes, and their
  // outputs head-major in the accumulators, [h][sub-vector][dim] from output_accumulator_offset.
  uint32_t heads = 0;
  uint32_t output_accumulator_offset = 0;  // value_table, value_output (sub-vector mapping): accumulators
};
static_assert(std::is_standard_layout_v<Command> && std::is_trivially_copyable_v<Command>);
inline uint32_t heads_of(const Command& command) { return command.heads ? command.heads : 1; }
// The PEs a flag_interleaved_sub_vectors command's sub-vectors are dealt over: PE 0 to its highest selected
// PE (a head of fewer sub-vectors than PEs uses the lowest ones).
inline uint32_t interleave_span(const Command& command) {
  uint32_t span = 0;
  for (uint64_t mask = command.pe_mask; mask; mask >>= 1) ++span;
  return span;
}
static_assert(sizeof(Command) == 112, "the descriptor layout is part of the register interface");

enum class Error : uint32_t {
  none = 0,
  unknown_opcode = 1,
  bad_pe_mask = 2,        // empty, or names a PE that does not exist
  bad_shape = 3,          // a size the opcode needs is zero, or clusters > 65536, or sizes overflow
  codebook_overflow = 4,  // needs more codebook SRAM than configured
  lut_overflow = 5,
  accumulator_overflow = 6,
  buffer_accumulator_overflow = 7,
  io_overflow = 8,
  bank_access_failed = 9,    // the pseudo-channel rejected a bank-side transaction
  code_out_of_range = 10,    // functional mode: a stored code >= clusters
  bad_register_access = 11,  // wrong length/direction on a register
};

// Register map of the target socket (byte addresses local to the unit).
namespace reg {
inline constexpr uint64_t command = 0x000;  // write exactly sizeof(Command) bytes: validates and executes
inline constexpr uint64_t status = 0x100;   // read Status; any write clears the error
inline constexpr uint64_t fence = 0x200;    // read 8 bytes: completes when all earlier commands have finished
                                            // (LT: the remaining busy time is added to delay); returns the
                                            // completed-command count
// Command queue: descriptors written into the ring at command_queue (entry i of a free-running count at
// slot i % entries) run when QUEUE_TAIL is written with the count just past the last one, in order, each
// as a COMMAND write at that moment. Read QUEUE_TAIL (8 bytes): the count consumed so far (the head).
inline constexpr uint64_t queue_tail = 0x300;
inline constexpr uint64_t registers_end = 0x1000;

inline constexpr uint64_t command_queue = 0x3000'0000;        // the ring: command_queue_entries descriptors

inline constexpr uint64_t io_buffer = 0x1000'0000;            // IO buffer (buffer die), io_buffer_bytes
inline constexpr uint64_t buffer_accumulators = 0x2000'0000;  // buffer PE accumulators, fp32
inline constexpr uint64_t pe_windows = 0x1'0000'0000;         // bank PE p's window at pe_windows + p * pe_window
inline constexpr uint64_t pe_window = 0x1000'0000;
inline constexpr uint64_t pe_codebook = 0x000'0000;      // inside a PE window: codebook SRAM (fp16)
inline constexpr uint64_t pe_lut = 0x400'0000;           // LUT SRAM (fp32)
inline constexpr uint64_t pe_accumulators = 0x800'0000;  // accumulators (fp32)
inline constexpr uint64_t sub_window = 0x400'0000;       // each memory must fit its 64 MiB sub-window
}  // namespace reg

struct Status {
  uint32_t error = 0;         // Error of the last rejected command (sticky until a write to STATUS)
  uint32_t error_opcode = 0;  // its opcode
  uint64_t completed = 0;     // commands whose completion time has passed (at the read's time)
  uint64_t issued = 0;        // commands accepted
};
static_assert(std::is_trivially_copyable_v<Status> && sizeof(Status) == 24);

inline constexpr core::EnumName<Error> kErrorNames[] = {
    {Error::none, "none"},
    {Error::unknown_opcode, "unknown_opcode"},
    {Error::bad_pe_mask, "bad_pe_mask"},
    {Error::bad_shape, "bad_shape"},
    {Error::codebook_overflow, "codebook_overflow"},
    {Error::lut_overflow, "lut_overflow"},
    {Error::accumulator_overflow, "accumulator_overflow"},
    {Error::buffer_accumulator_overflow, "buffer_accumulator_overflow"},
    {Error::io_overflow, "io_overflow"},
    {Error::bank_access_failed, "bank_access_failed"},
    {Error::code_out_of_range, "code_out_of_range"},
    {Error::bad_register_access, "bad_register_access"}};
inline const char* to_string(Error error) {
  const std::string_view name = core::enum_name(kErrorNames, error);
  return name == "?" ? "unknown" : name.data();
}

// The registers, one row each: what the unit's register handlers implement and docs/models-pim.md lists.
// Per direction, how many bytes an access must move: none (the direction is refused), exactly `bytes`,
// 1 up to `bytes`, or any length (the data is not looked at).
enum class Length : uint8_t { none, exact, up_to, any };
struct RegisterInfo {
  std::string_view name;
  uint64_t offset;
  uint32_t bytes;
  Length read;
  Length write;
  std::string_view doc;
};
inline constexpr RegisterInfo kRegisters[] = {
    {"COMMAND", reg::command, sizeof(Command), Length::none, Length::exact,
     "write one descriptor: it is validated and executed (or rejected, setting STATUS)"},
    {"STATUS", reg::status, sizeof(Status), Length::up_to, Length::any,
     "read the Status (or a prefix of it) at the read's time; any write clears the error"},
    {"FENCE", reg::fence, sizeof(uint64_t), Length::exact, Length::none,
     "read: completes when every earlier command has finished (LT: the remaining busy time is added to the "
     "delay); returns the completed-command count"},
    {"QUEUE_TAIL", reg::queue_tail, sizeof(uint64_t), Length::exact, Length::exact,
     "write: runs the ring's descriptors up to this free-running count, in order, each as a COMMAND write; "
     "read: the count consumed so far (the head)"},
};

// The memory windows behind the registers: host-visible SRAMs and buffers.
struct WindowInfo {
  std::string_view name;
  uint64_t offset;  // for PE windows: inside bank PE p's window at pe_windows + p * pe_window
  bool per_pe;
  std::string_view doc;
};
inline constexpr WindowInfo kWindows[] = {
    {"IO_BUFFER", reg::io_buffer, false, "buffer-die IO buffer (queries in, partial results out), io_buffer_bytes"},
    {"BUFFER_ACCUMULATORS", reg::buffer_accumulators, false, "buffer PE accumulators, fp32"},
    {"COMMAND_QUEUE", reg::command_queue, false, "the descriptor ring, command_queue_entries descriptors"},
    {"PE_CODEBOOK", reg::pe_codebook, true, "codebook SRAM of bank PE p, fp16"},
    {"PE_LUT", reg::pe_lut, true, "LUT SRAM of bank PE p, fp32"},
    {"PE_ACCUMULATORS", reg::pe_accumulators, true, "accumulators of bank PE p, fp32"},
};

// The register and window tables as Markdown (docs/models-pim.md embeds it; a test keeps them equal).
std::string register_reference_markdown();

}  // namespace aqpim::hwif::pim
