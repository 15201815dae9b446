from pathlib import Path


def ensure_trained_model(repo_root, tmp):  # TEMPORARY during development
    return Path("/tmp/devmodel/model")
