"""mlops-wizard: the machinery (engine, Google and forge layers, workspace, sandbox, UI)."""

import os as _os

# The wizard forks git/dvc/pip while gRPC threads run; gRPC's fork handlers are not needed
# (children exec at once) and their log lines would clutter the learner's terminal.
_os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
_os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
