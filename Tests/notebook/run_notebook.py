"""Executes an exported compare.ipynb headless with nbclient, as a person would in Jupyter, and
prints the AUC_JSON line its metrics cell writes (plus any error, on stderr, with exit status 1)."""
import os
import sys

import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
client.execute()
found = checked = False
for cell in notebook.cells:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            for line in output.get("text", "").splitlines():
                if line.startswith("AUC_JSON "):
                    print(line[len("AUC_JSON "):])
                    found = True
                checked = checked or line.startswith("CHECKED ")
images = sum(1 for c in notebook.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
if not checked:
    print("the notebook did not check its numbers against metrics.json (no CHECKED line)", file=sys.stderr)
    sys.exit(1)
if not found or images < 2:
    print(f"the notebook printed {'an' if found else 'no'} AUC_JSON line and drew {images} figures (expected 2)", file=sys.stderr)
    sys.exit(1)
