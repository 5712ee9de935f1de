// User parameters -> model configuration structs, and the firmware's configuration. The only place that
// knows both vocabularies, so models stay usable without our parameter system.
#pragma once

#include <memory>

#include "firmware/aqpim_firmware.h"
#include "firmware/aqpim_subvector_firmware.h"
#include "firmware/attacc_firmware.h"
#include "platform/aqpim_system.h"
#include "platform/params.h"

namespace aqpim::platform {

SystemConfig make_system_config(const PlatformParams& params);
firmware::AqpimFirmwareConfig make_firmware_config(const PlatformParams& params);
// The sub-vector mapping's firmware configuration (pim.mapping=subvector): K per window, the store, windows.
firmware::SubvectorFirmwareConfig make_subvector_config(const PlatformParams& params);
// pq.value_path with `auto` resolved for the configured mapping and codebook store.
core::ValuePath resolved_value_path(const PlatformParams& params);
firmware::WorkloadShape make_workload_shape(const PlatformParams& params);

// Bytes of one HBM stack, and of the model's fp16 weights (layers plus embedding and LM head).
double hbm_stack_bytes(const PlatformParams& params);
double weight_bytes(const PlatformParams& params);
// One pseudo-channel's external (bus) bandwidth, bytes/s: data_width_bits x data_rate_gbps / 8.
double pseudo_channel_bandwidth(const PlatformParams& params);
// AttAcc's power limit as the PIM units' bank_bandwidth_limit: attacc.internal_bandwidth_scale x one
// pseudo-channel's external bandwidth, bytes/s (0: none). Applied only with sim.design=attacc.
double attacc_bank_bandwidth_limit(const PlatformParams& params);
// Bank streaming bandwidth of every PIM pseudo-channel together (a column per bank per tCCD_L, capped by
// the AttAcc power limit), bytes/s.
double pim_internal_bandwidth(const PlatformParams& params);
// attacc.pipeline and attacc.ffn_split as the AttAcc firmware takes them.
firmware::AttAccOptions make_attacc_options(const PlatformParams& params);
// The firmware of the configured sim.design; data is null in timing-only mode. Throws ParamError when the
// design cannot run on these parameters (naming what does not fit).
std::unique_ptr<firmware::AttentionFirmware> make_firmware(const PlatformParams& params,
                                                           const hwif::PlatformView& view,
                                                           const firmware::WorkloadData* data);

}  // namespace aqpim::platform
