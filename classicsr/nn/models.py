"""Super-resolution network architectures, with the key names of common public checkpoints.

Every model is an ``nn.Module`` mapping an LR batch ``(B, C, h, w)`` to an SR batch
``(B, C, s h, s w)`` (SRCNN, a pre-upsampling network, maps a bicubic-upsampled
``(B, 1, s h, s w)`` to the same shape) and carries four attributes that
:class:`classicsr.nn.TorchUpscaler` reads:

``scale`` (int)
    The upscaling factor.
``color`` (``"y"`` or ``"rgb"``)
    Whether the network sees the BT.601 luma only (CbCr are upscaled bicubically) or RGB.
``data_range`` (float)
    The value of white at the network's input and output: 1.0, or 255.0 for EDSR.
``pre_upsample`` (bool)
    True when the network expects its input already upscaled by bicubic interpolation.

=========  ==============================  =============================================
model      layout of the state dict        compatible with
=========  ==============================  =============================================
SRCNN      ``conv1, conv2, conv3``         yjn870/SRCNN-pytorch
FSRCNN     ``first_part, mid_part,         yjn870/FSRCNN-pytorch
           last_part``
ESPCN      ``first_part, last_part``       yjn870/ESPCN-pytorch
EDSR       ``sub_mean, head, body, tail,   sanghyun-son/EDSR-PyTorch (``edsr_baseline_x*``)
           add_mean``
RRDBNet    ``conv_first, body.i.rdbj,      xinntao/BasicSR, Real-ESRGAN (old ESRGAN keys
           conv_body, conv_up1, ...``      ``model.0 ...`` are converted on load)
=========  ==============================  =============================================
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._validate import check_choice, check_int

__all__ = ["SRCNN", "FSRCNN", "ESPCN", "EDSR", "RRDBNet", "build_model", "MODELS"]


def _check_scale(scale, allowed=None) -> int:
    s = check_int("scale", scale, minimum=1)
    if allowed is not None and s not in allowed:
        raise ValueError(f"scale must be one of {sorted(allowed)} for this architecture, got {s}")
    return s


class SRCNN(nn.Module):
    """SRCNN (Dong et al. 2014): three convolutions that refine a bicubic upscaling.

    Parameters
    ----------
    scale : int
        The factor of the bicubic pre-upscaling (the network itself keeps the size).
    num_channels : int
        1 (Y, the default) or 3 (RGB).
    f1, f2, f3 : int
        Kernel sizes (9-5-5, the "9-5-5" variant of the paper's 9-1-5).
    n1, n2 : int
        Feature counts (64, 32).

    Notes
    -----
    :math:`F(Y) = W_3 * \\max(0, W_2 * \\max(0, W_1 * Y + B_1) + B_2) + B_3` with "same"
    zero padding, where :math:`Y` is the bicubic-upscaled LR luma.

    References
    ----------
    .. [1] C. Dong, C. C. Loy, K. He and X. Tang, "Image super-resolution using deep
           convolutional networks", TPAMI 2016 (ECCV 2014).
    """

    pre_upsample = True
    data_range = 1.0

    def __init__(self, scale: int = 3, num_channels: int = 1, *, f1: int = 9, f2: int = 5, f3: int = 5,
                 n1: int = 64, n2: int = 32):
        super().__init__()
        self.scale = _check_scale(scale)
        self.color = "y" if check_int("num_channels", num_channels, minimum=1) == 1 else "rgb"
        self.conv1 = nn.Conv2d(num_channels, n1, f1, padding=f1 // 2)
        self.conv2 = nn.Conv2d(n1, n2, f2, padding=f2 // 2)
        self.conv3 = nn.Conv2d(n2, num_channels, f3, padding=f3 // 2)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        return self.conv3(x)


class FSRCNN(nn.Module):
    """FSRCNN (Dong et al. 2016): feature extraction, shrinking, mapping, expanding, deconvolution.

    Parameters
    ----------
    scale : int
        Upscaling factor (the stride of the final transposed convolution).
    num_channels : int
        1 (Y, default) or 3.
    d, s, m : int
        Feature width (56), shrunk width (12) and number of 3x3 mapping layers (4): the
        FSRCNN(56, 12, 4) of the paper; FSRCNN-s is (32, 5, 1).
    residual : bool, keyword-only
        Add a bicubic upscaling of the input to the output (see :class:`ESPCN`); default False.

    Notes
    -----
    Conv(5, d) - PReLU - Conv(1, s) - PReLU - m x [Conv(3, s) - PReLU] - Conv(1, d) - PReLU -
    ConvTranspose(9, stride = scale, padding 4, output padding scale - 1), so an ``h x w``
    input gives exactly ``scale h x scale w``.

    References
    ----------
    .. [1] C. Dong, C. C. Loy and X. Tang, "Accelerating the super-resolution convolutional
           neural network", ECCV 2016.
    """

    pre_upsample = False
    data_range = 1.0

    def __init__(self, scale: int = 3, num_channels: int = 1, *, d: int = 56, s: int = 12, m: int = 4,
                 residual: bool = False):
        super().__init__()
        self.scale = _check_scale(scale)
        self.residual = bool(residual)
        self.color = "y" if check_int("num_channels", num_channels, minimum=1) == 1 else "rgb"
        self.first_part = nn.Sequential(nn.Conv2d(num_channels, d, 5, padding=2), nn.PReLU(d))
        mid = [nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            mid += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
        mid += [nn.Conv2d(s, d, 1), nn.PReLU(d)]
        self.mid_part = nn.Sequential(*mid)
        self.last_part = nn.ConvTranspose2d(d, num_channels, 9, stride=self.scale, padding=4,
                                            output_padding=self.scale - 1)
        self.reset_parameters()

    def reset_parameters(self):
        """He initialisation of the convolutions; N(0, 0.001) for the deconvolution (as the paper)."""
        for module in list(self.first_part) + list(self.mid_part):
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, a=0.25, nonlinearity="leaky_relu")
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.last_part.weight, std=0.001)
        nn.init.zeros_(self.last_part.bias)

    def forward(self, x):
        y = self.last_part(self.mid_part(self.first_part(x)))
        return y + _bicubic(x, self.scale) if self.residual else y


class ESPCN(nn.Module):
    """ESPCN (Shi et al. 2016): convolutions in LR space and a sub-pixel convolution.

    Parameters
    ----------
    scale : int
        Upscaling factor.
    num_channels : int
        1 (Y, default) or 3.
    n1, n2 : int
        Feature counts (64, 32).
    residual : bool, keyword-only
        Add a bicubic upscaling of the input to the output (global residual learning, as
        VDSR), so the layers learn only the missing detail.  No extra parameters, so the state
        dict keeps the public layout, but weights trained one way do not work the other way.
        Default False (the original ESPCN).

    Notes
    -----
    Conv(5, 64) - tanh - Conv(3, 32) - tanh - Conv(3, scale^2) - PixelShuffle(scale): the last
    layer produces :math:`r^2` LR-resolution planes that :func:`torch.nn.functional.pixel_shuffle`
    interleaves into one HR plane (the "efficient sub-pixel convolution").

    References
    ----------
    .. [1] W. Shi et al., "Real-time single image and video super-resolution using an efficient
           sub-pixel convolutional neural network", CVPR 2016.
    """

    pre_upsample = False
    data_range = 1.0

    def __init__(self, scale: int = 3, num_channels: int = 1, *, n1: int = 64, n2: int = 32,
                 residual: bool = False):
        super().__init__()
        self.scale = _check_scale(scale)
        self.residual = bool(residual)
        self.color = "y" if check_int("num_channels", num_channels, minimum=1) == 1 else "rgb"
        self.first_part = nn.Sequential(
            nn.Conv2d(num_channels, n1, 5, padding=2), nn.Tanh(),
            nn.Conv2d(n1, n2, 3, padding=1), nn.Tanh(),
        )
        self.last_part = nn.Sequential(
            nn.Conv2d(n2, num_channels * self.scale ** 2, 3, padding=1),
            nn.PixelShuffle(self.scale),
        )
        self.reset_parameters()

    def reset_parameters(self):
        """The initialisation of the reference implementation: N(0, sqrt(2 / (out * k^2)))."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                if module is self.last_part[0]:
                    std = 0.001
                else:
                    std = math.sqrt(2 / (module.out_channels * module.weight[0][0].numel()))
                nn.init.normal_(module.weight, mean=0.0, std=std)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        y = self.last_part(self.first_part(x))
        return y + _bicubic(x, self.scale) if self.residual else y


def _bicubic(x, scale: int):
    """Bicubic upscaling for the residual skip (torch's kernel, a = -0.75; not MATLAB's)."""
    import torch.nn.functional as F

    return F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)


class _MeanShift(nn.Conv2d):
    """EDSR's fixed 1x1 convolution that adds/subtracts the DIV2K RGB mean (key compatible)."""

    def __init__(self, rgb_range, rgb_mean=(0.4488, 0.4371, 0.4040), rgb_std=(1.0, 1.0, 1.0), sign=-1):
        super().__init__(3, 3, kernel_size=1)
        std = torch.tensor(rgb_std)
        self.weight.data = torch.eye(3).view(3, 3, 1, 1) / std.view(3, 1, 1, 1)
        self.bias.data = sign * rgb_range * torch.tensor(rgb_mean) / std
        for p in self.parameters():
            p.requires_grad = False


class _ResBlock(nn.Module):
    def __init__(self, n_feats, kernel_size=3, res_scale=1.0):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(n_feats, n_feats, kernel_size, padding=kernel_size // 2), nn.ReLU(True),
            nn.Conv2d(n_feats, n_feats, kernel_size, padding=kernel_size // 2),
        )
        self.res_scale = res_scale

    def forward(self, x):
        return self.body(x).mul(self.res_scale) + x


def _upsampler(scale: int, n_feats: int) -> nn.Sequential:
    layers = []
    if scale & (scale - 1) == 0:  # power of two: repeated x2
        for _ in range(int(math.log2(scale))):
            layers += [nn.Conv2d(n_feats, 4 * n_feats, 3, padding=1), nn.PixelShuffle(2)]
    elif scale == 3:
        layers += [nn.Conv2d(n_feats, 9 * n_feats, 3, padding=1), nn.PixelShuffle(3)]
    else:
        raise ValueError(f"scale must be 2, 3, 4 or another power of two for EDSR, got {scale}")
    return nn.Sequential(*layers)


class EDSR(nn.Module):
    """EDSR (Lim et al. 2017): residual blocks without batch norm and a pixel-shuffle tail.

    The defaults are the "EDSR-baseline" (16 blocks, 64 features, residual scaling 1) whose
    checkpoints ``edsr_baseline_x{2,3,4}`` are published with the authors' code; the full
    EDSR is ``n_resblocks=32, n_feats=256, res_scale=0.1``.

    Parameters
    ----------
    scale : int
        2, 3, 4 (or 8).
    n_resblocks, n_feats : int
    res_scale : float
    rgb_range : float
        The value of white at the input/output (255 in the authors' checkpoints).

    Notes
    -----
    :math:`y = \\mathrm{tail}(h + \\mathrm{body}(h)) + \\mu`, :math:`h = \\mathrm{head}(x - \\mu)`
    with :math:`\\mu` the DIV2K mean colour.

    References
    ----------
    .. [1] B. Lim, S. Son, H. Kim, S. Nah and K. M. Lee, "Enhanced deep residual networks for
           single image super-resolution", CVPRW 2017.
    """

    pre_upsample = False
    color = "rgb"

    def __init__(self, scale: int = 2, *, n_resblocks: int = 16, n_feats: int = 64, res_scale: float = 1.0,
                 rgb_range: float = 255.0):
        super().__init__()
        self.scale = _check_scale(scale)
        self.data_range = float(rgb_range)
        self.sub_mean = _MeanShift(rgb_range)
        self.head = nn.Sequential(nn.Conv2d(3, n_feats, 3, padding=1))
        body = [_ResBlock(n_feats, 3, res_scale) for _ in range(n_resblocks)]
        body.append(nn.Conv2d(n_feats, n_feats, 3, padding=1))
        self.body = nn.Sequential(*body)
        self.tail = nn.Sequential(_upsampler(self.scale, n_feats), nn.Conv2d(n_feats, 3, 3, padding=1))
        self.add_mean = _MeanShift(rgb_range, sign=1)

    def forward(self, x):
        x = self.head(self.sub_mean(x))
        x = self.body(x) + x
        return self.add_mean(self.tail(x))


class _ResidualDenseBlock(nn.Module):
    def __init__(self, num_feat=64, num_grow_ch=32):
        super().__init__()
        self.conv1 = nn.Conv2d(num_feat, num_grow_ch, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat + num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv3 = nn.Conv2d(num_feat + 2 * num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv4 = nn.Conv2d(num_feat + 3 * num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv5 = nn.Conv2d(num_feat + 4 * num_grow_ch, num_feat, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x):
        x1 = self.lrelu(self.conv1(x))
        x2 = self.lrelu(self.conv2(torch.cat((x, x1), 1)))
        x3 = self.lrelu(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = self.lrelu(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x5 * 0.2 + x


class _RRDB(nn.Module):
    def __init__(self, num_feat, num_grow_ch=32):
        super().__init__()
        self.rdb1 = _ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb2 = _ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb3 = _ResidualDenseBlock(num_feat, num_grow_ch)

    def forward(self, x):
        return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x


class RRDBNet(nn.Module):
    """RRDBNet, the generator of ESRGAN / Real-ESRGAN, for users' own weights.

    Parameters
    ----------
    scale : int
        4 (ESRGAN), or 2 / 1 (Real-ESRGAN's variants, which pixel-unshuffle the input first).
    num_in_ch, num_out_ch : int
        3 and 3.
    num_feat, num_block, num_grow_ch : int
        64, 23 and 32 for ESRGAN / RealESRGAN_x4plus; 6 blocks for the anime model.

    Notes
    -----
    Residual-in-residual dense blocks (residual scaling 0.2), then two nearest-neighbour x2
    upsamplings with convolutions.  Inputs and outputs are RGB in [0, 1].

    References
    ----------
    .. [1] X. Wang et al., "ESRGAN: Enhanced super-resolution generative adversarial networks",
           ECCVW 2018.
    .. [2] X. Wang, L. Xie, C. Dong and Y. Shan, "Real-ESRGAN: Training real-world blind
           super-resolution with pure synthetic data", ICCVW 2021.
    """

    pre_upsample = False
    data_range = 1.0
    color = "rgb"

    def __init__(self, scale: int = 4, num_in_ch: int = 3, num_out_ch: int = 3, *, num_feat: int = 64,
                 num_block: int = 23, num_grow_ch: int = 32):
        super().__init__()
        self.scale = _check_scale(scale, allowed=(1, 2, 4))
        if num_in_ch == 1:
            self.color = "y"
        factor = {4: 1, 2: 4, 1: 16}[self.scale]
        self.conv_first = nn.Conv2d(num_in_ch * factor, num_feat, 3, 1, 1)
        self.body = nn.Sequential(*[_RRDB(num_feat, num_grow_ch) for _ in range(num_block)])
        self.conv_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, num_out_ch, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x):
        import torch.nn.functional as F

        if self.scale == 2:
            x = F.pixel_unshuffle(x, 2)
        elif self.scale == 1:
            x = F.pixel_unshuffle(x, 4)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")))
        feat = self.lrelu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.lrelu(self.conv_hr(feat)))


#: Architectures by name (lower case), for :func:`build_model`, :func:`classicsr.nn.train` and the CLI.
MODELS = {"srcnn": SRCNN, "fsrcnn": FSRCNN, "espcn": ESPCN, "edsr": EDSR, "rrdbnet": RRDBNet}


def build_model(name: str, scale: int, **kwargs) -> nn.Module:
    """Instantiate an architecture by name.

    Parameters
    ----------
    name : str
        One of ``"srcnn"``, ``"fsrcnn"``, ``"espcn"``, ``"edsr"``, ``"rrdbnet"``.
    scale : int
    **kwargs
        Passed to the constructor (e.g. ``d=32, s=5, m=1`` for FSRCNN-s).

    Returns
    -------
    torch.nn.Module

    Examples
    --------
    >>> import torch
    >>> from classicsr.nn.models import build_model
    >>> net = build_model("espcn", 3)
    >>> tuple(net(torch.zeros(1, 1, 8, 10)).shape)
    (1, 1, 24, 30)
    """
    key = check_choice("name", name, MODELS)
    return MODELS[key](scale, **kwargs)
