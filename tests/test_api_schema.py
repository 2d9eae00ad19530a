"""Property-based API testing from the OpenAPI schema: nothing a client sends gives a 5xx.

Runs schemathesis' own command line against a real server on loopback, with a bounded
number of examples per operation and a fixed seed.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from api.settings import Settings
from tests.server import running_server


def test_no_request_causes_a_server_error(tmp_path, corpus_index, embedder):
    root = tmp_path / "idx"
    shutil.copytree(corpus_index, root)
    st = Path(sys.executable).parent / "schemathesis"
    with running_server(Settings(index=root, api_key="k"), embedder) as url:
        result = subprocess.run(
            [
                str(st),
                "run",
                f"{url}/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "25",
                "--seed",
                "1",
                "--workers",
                "1",
                "--request-timeout",
                "60",
                "--generation-allow-x00",
                "true",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=480,
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert summary and int(summary.group(2)) > 100, result.stdout[-2000:]
