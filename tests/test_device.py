"""zerohero.device: auto picks cuda, then mps, then cpu; missing devices give clear errors."""

from __future__ import annotations

import pytest
import torch

from zerohero import device


@pytest.fixture
def machine(monkeypatch):
    """Pretend the machine has the given accelerators."""
    def have(cuda=False, mps=False, cuda_count=1):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda_count if cuda else 0)
        monkeypatch.setattr(device, "_mps_available", lambda: mps)
    return have


@pytest.mark.parametrize("cuda, mps, expected", [
    (True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu"),
])
def test_auto_prefers_cuda_then_mps_then_cpu(machine, cuda, mps, expected):
    machine(cuda=cuda, mps=mps)
    assert device.pick_device("auto") == torch.device(expected)
    assert device.available()[-1] == "cpu"
    assert device.available()[0] == expected


def test_cpu_always_works(machine):
    machine()
    assert device.pick_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["cuda", "mps", "cuda:0"])
def test_a_missing_accelerator_is_a_clear_error(machine, name):
    machine()
    with pytest.raises(device.DeviceError, match=r"not available on this machine; available: cpu"):
        device.pick_device(name)


def test_a_missing_cuda_index_is_a_clear_error(machine):
    machine(cuda=True, cuda_count=1)
    assert device.pick_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(device.DeviceError, match="has 1 CUDA device"):
        device.pick_device("cuda:3")


def test_an_unknown_device_names_the_choices(machine):
    machine()
    with pytest.raises(device.DeviceError, match="unknown device 'tpu'; use one of auto, cpu"):
        device.pick_device("tpu")


def test_the_real_machine():
    # Whatever this machine has, auto gives one of its available devices, and tensors go there.
    picked = device.pick_device()
    assert picked.type == device.available()[0]
    assert torch.zeros(2, device=picked).device.type == picked.type
