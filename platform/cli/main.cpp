#include "platform/cli/cli_options.h"

int main(int argc, char** argv) { return aqpim::cli::dispatch({argv + 1, argv + argc}); }
