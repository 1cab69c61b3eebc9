"""The exposure rule (pipeline/exposure.py) on synthetic luma planes."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from vcat_core.models import ExposureMetrics
from vcat_core.pipeline.exposure import (
    ExposureThresholds,
    clip_exposure,
    frame_exposure,
    rgb_luma,
)

T = ExposureThresholds()


def plane(value: int, shape=(90, 160)) -> np.ndarray:
    return np.full(shape, value, np.uint8)


def test_defaults_are_documented_values():
    assert (T.over_luma, T.under_luma, T.warn_percentage) == (250, 5, 5.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        T.over_luma = 10  # type: ignore[misc]


def test_all_white_is_overexposed():
    m = frame_exposure(plane(255), T)
    assert m.overexposed_percentage == pytest.approx(100.0)
    assert m.underexposed_percentage == 0.0
    assert m.mean_luma == 255.0
    assert m.exposure_warning == "overexposed"
    assert m.exposure_stops == pytest.approx(math.log2(1 / 0.18))  # ~ +2.47
    assert m.exposure_stops > 0


def test_all_black_is_underexposed_and_clamped():
    m = frame_exposure(plane(0), T)
    assert m.underexposed_percentage == pytest.approx(100.0)
    assert m.overexposed_percentage == 0.0
    assert m.exposure_warning == "underexposed"
    assert m.exposure_stops == -10.0


def test_mid_grey_is_zero_stops_without_warning():
    m = frame_exposure(plane(118), T)
    assert m.exposure_stops == pytest.approx(0.0, abs=0.05)
    assert m.exposure_warning is None
    assert m.overexposed_percentage == 0.0 and m.underexposed_percentage == 0.0
    assert m.mean_luma == 118.0
    # One stop is twice the linear light: sRGB 162 is ~0.36 linear.
    assert frame_exposure(plane(162), T).exposure_stops == pytest.approx(1.0, abs=0.05)


def test_thresholds_are_inclusive():
    assert frame_exposure(plane(250), T).overexposed_percentage == 100.0
    assert frame_exposure(plane(249), T).overexposed_percentage == 0.0
    assert frame_exposure(plane(5), T).underexposed_percentage == 100.0
    assert frame_exposure(plane(6), T).underexposed_percentage == 0.0


def test_warning_needs_more_than_warn_percentage():
    luma = plane(118, (10, 100))  # 1000 pixels
    luma.flat[:50] = 255  # exactly 5 %: no warning
    m = frame_exposure(luma, T)
    assert m.overexposed_percentage == pytest.approx(5.0)
    assert m.exposure_warning is None
    luma.flat[:51] = 255  # 5.1 %
    assert frame_exposure(luma, T).exposure_warning == "overexposed"
    strict = ExposureThresholds(warn_percentage=10.0)
    assert frame_exposure(luma, strict).exposure_warning is None


def test_both_sides_the_larger_share_wins():
    luma = plane(118, (10, 100))
    luma.flat[:200] = 255  # 20 % blown
    luma.flat[200:500] = 0  # 30 % crushed
    m = frame_exposure(luma, T)
    assert m.overexposed_percentage == pytest.approx(20.0)
    assert m.underexposed_percentage == pytest.approx(30.0)
    assert m.exposure_warning == "underexposed"
    luma.flat[:450] = 255  # 45 % blown, 5 % crushed
    assert frame_exposure(luma, T).exposure_warning == "overexposed"


def test_custom_thresholds():
    t = ExposureThresholds(over_luma=200, under_luma=50, warn_percentage=1.0)
    assert frame_exposure(plane(210), t).exposure_warning == "overexposed"
    assert frame_exposure(plane(40), t).exposure_warning == "underexposed"
    assert frame_exposure(plane(118), t).exposure_warning is None


def test_stops_use_linear_light_not_mean_luma():
    half = plane(0, (10, 100))
    half[:, 50:] = 255  # half black, half white: mean luma 127.5, mean linear light 0.5
    m = frame_exposure(half, T)
    assert m.mean_luma == pytest.approx(127.5)
    assert m.exposure_stops == pytest.approx(math.log2(0.5 / 0.18))


def test_bad_input_is_rejected():
    with pytest.raises(ValueError):
        frame_exposure(np.zeros((4, 4, 3), np.uint8), T)
    with pytest.raises(ValueError):
        frame_exposure(np.zeros((4, 4), np.float32), T)
    with pytest.raises(ValueError):
        frame_exposure(np.zeros((0, 4), np.uint8), T)


def test_rgb_luma_rec709():
    rgb = np.array([[[255, 255, 255], [0, 0, 0], [118, 118, 118], [255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8)
    y = rgb_luma(rgb)
    assert y.dtype == np.uint8 and y.shape == (1, 6)
    assert y[0, :3].tolist() == [255, 0, 118]
    assert y[0, 3:].tolist() == pytest.approx([54, 182, 18], abs=1)  # 0.2126, 0.7152, 0.0722


def test_clip_exposure_aggregates():
    frames = [frame_exposure(plane(v), T) for v in (255, 118, 118, 0)]
    clip = clip_exposure(frames, T)
    assert isinstance(clip, ExposureMetrics)
    assert clip.overexposed_percentage == pytest.approx(25.0)  # mean of 100, 0, 0, 0
    assert clip.underexposed_percentage == pytest.approx(25.0)
    assert clip.mean_luma == pytest.approx(118.0)  # median
    assert clip.exposure_stops == pytest.approx(frames[1].exposure_stops)  # median
    assert clip.exposure_warning == "overexposed"  # tie: 25 % each, over wins
    calm = clip_exposure([frame_exposure(plane(118), T)] * 3, T)
    assert calm is not None and calm.exposure_warning is None
    dark = clip_exposure([frame_exposure(plane(0), T), frame_exposure(plane(118), T)], T)
    assert dark is not None and dark.exposure_warning == "underexposed"
    assert clip_exposure([], T) is None
