"""`analyze` on fault-tolerance results: the pod logs are diagnosed and the summary table is in the report."""

from __future__ import annotations

from testkit.samples import sample, sample_run

SAMPLE = sample("ft-results")


def test_analyze_diagnoses_the_pod_logs_and_embeds_the_table():
    run = sample_run(SAMPLE)
    result = run.result
    assert {rc["category"] for rc in result["root_causes"]} >= {"runtime.cuda_oom", "runtime.engine_dead"}
    groups = {g["group"] for g in result["ft_summary"]["groups"]}
    assert groups == {"agg-tp-1-dp-1", "agg-tp-1-dp-2", "disagg-tp-1-dp-1", "disagg-tp-1-dp-2"}
    md = run.report("md")
    assert "## Fault-tolerance test summary" in md
    assert "| decode\\_worker | 171.00 | 8.00 | 0.00 | 22.00 | 351.00 | 1.21 | 1.17 | 178.11 |" in md


def test_analyze_reads_each_scenario_folder_once(monkeypatch):
    """The parse stage's parsed folders feed the report's table: no second read of the results."""
    import analyzer.ft.parse as ft_parse
    from analyzer.pipeline import analyze_path

    read: list[str] = []
    original = ft_parse.parse_folder

    def counting(folder):
        read.append(folder.prefix)
        return original(folder)

    monkeypatch.setattr(ft_parse, "parse_folder", counting)
    with analyze_path(str(SAMPLE)) as analysis:
        rows = [r for g in analysis.result["ft_summary"]["groups"] for r in g["rows"]]
    folders = sorted(p.name for p in SAMPLE.iterdir() if p.is_dir())
    assert sorted(read) == folders and len(rows) == len(folders)
