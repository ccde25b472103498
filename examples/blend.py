"""The joblib blend loop: addWeighted of each of 14 images of a folder with an overlay (generated).

    .venv/bin/python -m examples.blend [--size 768]
    BLEND_SIZE=768 .venv/bin/bench run --task examples.blend:blend_file --inputs examples.blend:make_inputs \\
        --bound memory --strategies joblib,threads --cores 1,2 --modes cold,warm

The images are written once as .npy files under the temporary directory; each
task reads one, blends it with a fixed overlay as ``cv2.addWeighted(img, 0.7,
overlay, 0.3, 0)`` does, and returns the blended image.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from examples._common import env_number, measure, naive_line, parse, parser, positive_int, timed
from workloads.addweighted import blend, make_pair

IMAGES = 14


def blend_file(path: str) -> np.ndarray:
    """The seed's task: one image of the folder, blended with the overlay."""
    image = np.load(path)
    overlay, _ = make_pair(999, image.shape[0])
    return blend(image, overlay, 0.7, 0.3, 0.0)


def make_images(size: int, folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(IMAGES):
        path = folder / f"image-{index:02d}.npy"
        if not path.exists():
            np.save(path, make_pair(index, size)[0])
        paths.append(str(path))
    return paths


def make_inputs(size: int | None = None) -> list[str]:
    size = int(env_number("BLEND_SIZE", 768)) if size is None else size
    return make_images(size, Path(tempfile.gettempdir()) / f"bench-examples-blend-{size}")


def naive(paths: list[str]) -> str:
    """The seed: Parallel(n_jobs=2)(delayed(...)) timed once (pool start-up included), against a loop."""
    from joblib import Parallel, delayed

    serial = timed(lambda: [blend_file(p) for p in paths])
    parallel = timed(lambda: Parallel(n_jobs=2)(delayed(blend_file)(p) for p in paths))
    return naive_line(serial, parallel, "joblib Parallel(n_jobs=2)")


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--size", type=positive_int, default=768, help="image side in pixels")
    args = parse(p, argv)
    paths = make_inputs(args.size)
    print(naive(paths))
    measure(blend_file, paths, args, strategies="joblib,threads", modes="cold,warm", bound="memory")


if __name__ == "__main__":
    main()
