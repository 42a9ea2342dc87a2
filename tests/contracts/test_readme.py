"""The README's Python API block is a script that runs as it stands (with workers > 1, so its guard matters)."""

import re
import subprocess
import sys

from conftest import ROOT


def readme_script() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python API"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_python_api_example_runs_as_a_script(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(readme_script())
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "RuntimeWarning" not in done.stderr and "failed" not in done.stderr, done.stderr[-3000:]
    assert (tmp_path / "results" / "readme-q1" / "runs.parquet").is_file()


def test_without_the_main_guard_the_runs_fail_with_a_warning_that_names_the_guard(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text("import warnings\nfrom ptsim.experiment import compare\n"
                      "with warnings.catch_warnings(record=True) as seen:\n"
                      "    warnings.simplefilter('always')\n"
                      "    c = compare(['baseline', 'wechat_open'], reps=2, workers=2, overrides={\n"
                      "        'population.consumers': 300, 'population.merchants': 30, 'run.days': 2,\n"
                      "        'run.burn_in_days': 0})\n"
                      "    if __name__ == '__main__':\n"
                      "        print('FAILED', len(c.experiment.failed))\n"
                      "        print('WARNED', any('__main__' in str(w.message) for w in seen))\n")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "FAILED 4" in done.stdout and "WARNED True" in done.stdout, (done.stdout, done.stderr[-2000:])
    assert 'if __name__ == "__main__":' in done.stderr          # the workers' own error says what to do
