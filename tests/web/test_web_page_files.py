"""What the page's files may hold: no API key, no remote code."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_page_holds_no_api_key_or_remote_code():
    web = REPO_ROOT / "web"
    names = sorted(path.name for path in web.iterdir())
    assert {"index.html", "app.js", "reviews.js", "results.js", "config.js", "style.css"} <= set(
        names
    )
    for name in names:
        text = (web / name).read_text(encoding="utf-8")
        assert "http://" not in text.replace("http-equiv", "")
        assert "cdn" not in text.lower()
    assert "sessionStorage" in (web / "app.js").read_text(encoding="utf-8")
    assert "localStorage" not in (web / "app.js").read_text(encoding="utf-8")


def test_the_page_loads_its_modules_from_its_own_origin_only():
    """app.js imports the other modules; nothing but relative paths may appear there."""
    web = REPO_ROOT / "web"
    assert '<script type="module" src="app.js">' in (web / "index.html").read_text("utf-8")
    imports = [
        line.split(" from ")[1].strip().strip('";')
        for line in (web / "app.js").read_text("utf-8").splitlines()
        if line.startswith("import ")
    ]
    assert imports == ["./reviews.js", "./results.js"]
    assert all((web / name).is_file() for name in imports)


def test_every_module_imports_and_re_exports_relative_paths_only():
    """results.js re-exports the model card's module: each import stays on this origin."""
    web = REPO_ROOT / "web"
    for path in web.glob("*.js"):
        for line in path.read_text("utf-8").splitlines():
            if line.startswith(("import ", "export ")) and " from " in line:
                target = line.split(" from ")[1].strip().strip('";')
                assert target.startswith("./"), (path.name, target)
                assert (web / target).is_file(), (path.name, target)
