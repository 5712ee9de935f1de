// User parameters -> model configuration structs, and the firmware's configuration. The only place that
// knows both vocabularies, so models stay usable without our parameter system.
#pragma once

#include <memory>

#include "firmware/aqpim_firmware.h"
#include "firmware/aqpim_subvector_firmware.h"
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
// GPU HBM left for the KV cache of the GPU-only designs (every stack's bytes minus the weights); may be < 0.
double gpu_kv_capacity_bytes(const PlatformParams& params);
// The firmware of the configured sim.design; data is null in timing-only mode. Throws ParamError when the
// design cannot run on these parameters (naming what does not fit).
std::unique_ptr<firmware::AttentionFirmware> make_firmware(const PlatformParams& params,
                                                           const hwif::PlatformView& view,
                                                           const firmware::WorkloadData* data);

}  // namespace aqpim::platform
