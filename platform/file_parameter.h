// Parameters that name files (a llama2.c checkpoint, a tokenizer, a text) report what is wrong with the file
// as an error of the parameter: the core's one-line FileFormatError or argument error ("<path>: <what>")
// becomes "parameter 'KEY': <path>: <what>", a ParamError the CLI prints before exiting with code 2.
#pragma once

#include <stdexcept>
#include <string>

#include "core/llm/file_error.h"
#include "platform/params.h"

namespace aqpim::platform {

// Runs step() (which reads the file `key` names) and returns what it returns.
template <class Step>
auto read_for_parameter(const std::string& key, Step&& step) {
  try {
    return step();
  } catch (const core::llm::FileFormatError& error) {
    throw ParamError("parameter '" + key + "': " + error.what());
  } catch (const std::invalid_argument& error) {
    throw ParamError("parameter '" + key + "': " + error.what());
  }
}

}  // namespace aqpim::platform
