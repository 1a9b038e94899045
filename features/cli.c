#include "cli.h"

int cli_args_only;
