"""`python -m keel.protocol [OUT]`: export the JSON Schema of the wire contract."""

import sys
from pathlib import Path

from .schema import schema_json

if len(sys.argv) > 1:
    Path(sys.argv[1]).write_text(schema_json(), encoding="utf-8")
else:
    sys.stdout.write(schema_json())
