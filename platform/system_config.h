// User parameters -> model configuration structs, and the firmware's configuration. The only place that
// knows both vocabularies, so models stay usable without our parameter system.
#pragma once

#include "firmware/aqpim_firmware.h"
#include "platform/aqpim_system.h"
#include "platform/params.h"

namespace aqpim::platform {

SystemConfig make_system_config(const PlatformParams& params);
firmware::AqpimFirmwareConfig make_firmware_config(const PlatformParams& params);
firmware::WorkloadShape make_workload_shape(const PlatformParams& params);

}  // namespace aqpim::platform
