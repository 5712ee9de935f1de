// The plan and compute functions the opcode table (pim_opcodes.cpp) names, where they live in another file:
// the sub-vector mapping's opcodes (pim_opcodes_subvector.cpp). Internal to the models.
#pragma once

#include "models/pim_datapath.h"
#include "models/pim_plan.h"

namespace aqpim::models::pim {

bool plan_build_table(Planner& p);
void compute_build_table(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe);
bool plan_score_table(Planner& p);
void compute_score_table(const ComputeStep& s);
bool plan_score_summed(Planner& p);
void compute_score_summed(const ComputeStep& s);
bool plan_softmax_buffer(Planner& p);
void compute_softmax_buffer(const ComputeStep& s);
bool plan_value_table(Planner& p);
void compute_value_table(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe);
bool plan_copy_rows(Planner& p);
bool plan_finish_centroids(Planner& p);
void compute_finish_centroids(const ComputeStep& s, const PeOperands& operands, ProcessingElement& pe);

// Shared with pim_opcodes.cpp: head h's values of token-major [token][head] fp32 scalars.
std::vector<float> head_scalars(const std::vector<float>& scalars, size_t heads, size_t h);
// Stores one PE's `values` (m x d per head, [h][j][e]) into the IO vectors at io_offset (head h's at
// h x vector floats), each of its sub-vectors j at its place in the head vector.
void store_head_outputs(const ComputeStep& s, uint32_t pe, const float* values, unsigned char* io);

}  // namespace aqpim::models::pim
