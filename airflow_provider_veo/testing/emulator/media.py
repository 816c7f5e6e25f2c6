"""Deterministic, tiny, playable MP4 videos written in pure Python (stdlib only).

The emulator must hand out real videos, but CI has no ffmpeg, so this module encodes them itself.

Video (H.264 Constrained Baseline, CAVLC, 4:2:0, 8 bit):

* Frame 0 is one IDR slice. The first macroblock of each macroblock row is ``I_PCM`` and carries raw
  samples of a vertical colour gradient; every other macroblock is ``I_16x16`` with horizontal
  prediction and no residual, so it copies the row to its left. That paints the whole frame for
  about one byte per macroblock.
* Every later frame is one P slice referencing the previous frame. Most are a single ``mb_skip_run``
  (an exact copy). Every :data:`_SCROLL_PERIOD` frames the picture scrolls up by :data:`_SCROLL_STEP`
  pixels: the top row and left column of macroblocks are ``P_L0_16x16`` with that motion vector and
  every other macroblock is ``P_Skip``, whose predicted motion vector is the same. The step is one
  chroma sample, so motion compensation never interpolates and the gradient stays exact.
* Sizes that are not a multiple of 16 (1080) use SPS frame cropping (1088 - 8).

Audio (AAC-LC, 48 kHz stereo): one silent raw frame (a channel pair with ``max_sfb = 0``) repeated;
the last sample's duration is trimmed so that audio and video last exactly as long.

Container: ``ftyp``, ``moov`` (before the media data, so players can start from the first bytes),
then ``mdat`` with one chunk per track. Nothing depends on the clock, so equal arguments give equal
bytes.

The synthetic stream (:func:`synthetic_mp4_chunks`, :func:`synthetic_mp4_slice`) is a 1280x720 4 s
video (:data:`SYNTHETIC_WIDTH` ...) whose ``mdat`` (with a 64-bit size) is padded with zero bytes to
any requested total size, produced piecewise so that gigabyte-sized assets never sit in memory.

Example::

    data = build_mp4(width=1280, height=720, duration=8, audio=True)
    for chunk in synthetic_mp4_chunks(1 << 30):
        sink.write(chunk)
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

__all__ = [
    "SYNTHETIC_DURATION",
    "SYNTHETIC_HEIGHT",
    "SYNTHETIC_WIDTH",
    "build_mp4",
    "synthetic_mp4_chunks",
    "synthetic_mp4_min_size",
    "synthetic_mp4_slice",
]

_SCROLL_PERIOD: Final = 3
_SCROLL_STEP: Final = 2
_TOP_RGB: Final = (28, 32, 104)
_BOTTOM_RGB: Final = (246, 146, 58)
_LOG2_MAX_FRAME_NUM: Final = 4
_VIDEO_TIMESCALE_PER_FPS: Final = 1000
_MOVIE_TIMESCALE: Final = 1000

_AUDIO_RATE: Final = 48_000
_AUDIO_CHANNELS: Final = 2
_AAC_FRAME_SAMPLES: Final = 1024
_AAC_SAMPLING_INDEX: Final = 3  # 48 kHz in the MPEG-4 sampling frequency table

#: Shape of the video at the start of every synthetic stream (24 fps, with audio).
SYNTHETIC_WIDTH: Final = 1280
SYNTHETIC_HEIGHT: Final = 720
SYNTHETIC_DURATION: Final = 4

#: (level_idc, MaxFS in macroblocks, MaxMBPS) from H.264 Table A-1, lowest level first.
_LEVELS: Final = (
    (30, 1620, 40_500),
    (31, 3600, 108_000),
    (32, 5120, 216_000),
    (40, 8192, 245_760),
    (42, 8704, 522_240),
    (50, 22_080, 589_824),
    (51, 36_864, 983_040),
    (52, 36_864, 2_073_600),
)
_UNITY_MATRIX: Final = struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


# --------------------------------------------------------------------------------------- bit writing


class _BitWriter:
    """Big-endian bit writer with the Exp-Golomb codes of H.264 (``u(n)``, ``ue(v)``, ``se(v)``)."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._acc = 0
        self._bits = 0

    def u(self, bits: int, value: int) -> None:
        self._acc = (self._acc << bits) | value
        self._bits += bits
        while self._bits >= 8:
            self._bits -= 8
            self._out.append((self._acc >> self._bits) & 0xFF)
        self._acc &= (1 << self._bits) - 1

    def ue(self, value: int) -> None:
        code = value + 1
        self.u(2 * code.bit_length() - 1, code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align_zero(self) -> None:
        if self._bits:
            self.u(8 - self._bits, 0)

    def raw(self, data: bytes) -> None:
        """Append whole bytes; the writer must be byte aligned."""
        assert self._bits == 0
        self._out += data

    def rbsp(self) -> bytes:
        """The payload closed with ``rbsp_trailing_bits`` (a one bit, then zero bits to a byte)."""
        self.u(1, 1)
        self.align_zero()
        return bytes(self._out)

    def value(self) -> bytes:
        self.align_zero()
        return bytes(self._out)


_EMULATION = re.compile(rb"\x00\x00(?=[\x00-\x03])")


def _nal(ref_idc: int, nal_type: int, rbsp: bytes) -> bytes:
    """A NAL unit: header byte, then the RBSP with emulation prevention bytes inserted."""
    return bytes([(ref_idc << 5) | nal_type]) + _EMULATION.sub(b"\x00\x00\x03", rbsp)


# --------------------------------------------------------------------------------------------- video


@dataclass(frozen=True)
class _Geometry:
    width: int
    height: int

    @property
    def mb_width(self) -> int:
        return (self.width + 15) // 16

    @property
    def mb_height(self) -> int:
        return (self.height + 15) // 16

    @property
    def mb_count(self) -> int:
        return self.mb_width * self.mb_height

    def level_idc(self, fps: int) -> int:
        for level_idc, max_fs, max_mbps in _LEVELS:
            fits_frame = self.mb_count <= max_fs and max(self.mb_width, self.mb_height) ** 2 <= 8 * max_fs
            if fits_frame and self.mb_count * fps <= max_mbps:
                return level_idc
        raise ValueError(f"{self.width}x{self.height} at {fps} fps exceeds H.264 level 5.2")


def _sps(geometry: _Geometry, fps: int) -> bytes:
    w = _BitWriter()
    w.u(8, 66)  # profile_idc: Baseline
    w.u(8, 0b1100_0000)  # constraint_set0 and set1: Constrained Baseline
    w.u(8, geometry.level_idc(fps))
    w.ue(0)  # seq_parameter_set_id
    w.ue(_LOG2_MAX_FRAME_NUM - 4)
    w.ue(2)  # pic_order_cnt_type: output order = decoding order
    w.ue(1)  # max_num_ref_frames
    w.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    w.ue(geometry.mb_width - 1)
    w.ue(geometry.mb_height - 1)
    w.u(1, 1)  # frame_mbs_only_flag
    w.u(1, 1)  # direct_8x8_inference_flag
    crop_right = (geometry.mb_width * 16 - geometry.width) // 2  # in chroma samples (4:2:0)
    crop_bottom = (geometry.mb_height * 16 - geometry.height) // 2
    w.u(1, int(bool(crop_right or crop_bottom)))
    if crop_right or crop_bottom:
        for offset in (0, crop_right, 0, crop_bottom):
            w.ue(offset)
    w.u(1, 1)  # vui_parameters_present_flag
    _vui(w, fps)
    return _nal(3, 7, w.rbsp())


def _vui(w: _BitWriter, fps: int) -> None:
    w.u(1, 0)  # aspect_ratio_info_present_flag: square pixels
    w.u(1, 0)  # overscan_info_present_flag
    w.u(1, 1)  # video_signal_type_present_flag
    w.u(3, 5)  # video_format: unspecified
    w.u(1, 0)  # video_full_range_flag: limited range
    w.u(1, 1)  # colour_description_present_flag
    for bt709 in (1, 1, 1):  # colour_primaries, transfer_characteristics, matrix_coefficients
        w.u(8, bt709)
    w.u(1, 0)  # chroma_loc_info_present_flag
    w.u(1, 1)  # timing_info_present_flag
    w.u(32, 1)  # num_units_in_tick
    w.u(32, 2 * fps)  # time_scale: two ticks per frame
    w.u(1, 1)  # fixed_frame_rate_flag
    w.u(1, 0)  # nal_hrd_parameters_present_flag
    w.u(1, 0)  # vcl_hrd_parameters_present_flag
    w.u(1, 0)  # pic_struct_present_flag
    w.u(1, 1)  # bitstream_restriction_flag
    w.u(1, 1)  # motion_vectors_over_pic_boundaries_flag
    w.ue(0)  # max_bytes_per_pic_denom
    w.ue(0)  # max_bits_per_mb_denom
    w.ue(16)  # log2_max_mv_length_horizontal
    w.ue(16)  # log2_max_mv_length_vertical
    w.ue(0)  # max_num_reorder_frames
    w.ue(1)  # max_dec_frame_buffering


def _pps() -> bytes:
    w = _BitWriter()
    w.ue(0)  # pic_parameter_set_id
    w.ue(0)  # seq_parameter_set_id
    w.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    w.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    w.ue(0)  # num_slice_groups_minus1
    w.ue(0)  # num_ref_idx_l0_default_active_minus1
    w.ue(0)  # num_ref_idx_l1_default_active_minus1
    w.u(1, 0)  # weighted_pred_flag
    w.u(2, 0)  # weighted_bipred_idc
    w.se(0)  # pic_init_qp_minus26
    w.se(0)  # pic_init_qs_minus26
    w.se(0)  # chroma_qp_index_offset
    w.u(1, 1)  # deblocking_filter_control_present_flag
    w.u(1, 0)  # constrained_intra_pred_flag
    w.u(1, 0)  # redundant_pic_cnt_present_flag
    return _nal(3, 8, w.rbsp())


def _slice_header(w: _BitWriter, *, idr: bool, frame_num: int) -> None:
    w.ue(0)  # first_mb_in_slice
    w.ue(7 if idr else 5)  # slice_type: I or P, same for every slice of the picture
    w.ue(0)  # pic_parameter_set_id
    w.u(_LOG2_MAX_FRAME_NUM, frame_num % (1 << _LOG2_MAX_FRAME_NUM))
    if idr:
        w.ue(0)  # idr_pic_id
        w.u(1, 0)  # no_output_of_prior_pics_flag
        w.u(1, 0)  # long_term_reference_flag
    else:
        w.u(1, 0)  # num_ref_idx_active_override_flag
        w.u(1, 0)  # ref_pic_list_modification_flag_l0
        w.u(1, 0)  # adaptive_ref_pic_marking_mode_flag: sliding window
    w.se(0)  # slice_qp_delta
    w.ue(1)  # disable_deblocking_filter_idc: off


def _rgb_to_ycbcr(rgb: tuple[float, float, float]) -> tuple[int, int, int]:
    """BT.709, limited range."""
    r, g, b = rgb
    y = 16 + (0.2126 * r + 0.7152 * g + 0.0722 * b) * 219 / 255
    cb = 128 + (-0.1146 * r - 0.3854 * g + 0.5 * b) * 224 / 255
    cr = 128 + (0.5 * r - 0.4542 * g - 0.0458 * b) * 224 / 255
    return round(y), round(cb), round(cr)


def _gradient(position: float, last: int) -> tuple[int, int, int]:
    """The colour of the picture row at ``position`` (in luma rows, 0 .. ``last``)."""
    t = min(position, last) / max(last, 1)
    mixed = tuple(top + (bottom - top) * t for top, bottom in zip(_TOP_RGB, _BOTTOM_RGB, strict=True))
    return _rgb_to_ycbcr((mixed[0], mixed[1], mixed[2]))


def _pcm_samples(geometry: _Geometry, mb_row: int) -> bytes:
    """Raw samples of one I_PCM macroblock: 16x16 luma, then 8x8 Cb and 8x8 Cr, constant per row."""
    last = geometry.height - 1
    luma = b"".join(bytes([_gradient(mb_row * 16 + y, last)[0]]) * 16 for y in range(16))
    chroma = [_gradient(mb_row * 16 + 2 * y + 0.5, last) for y in range(8)]
    cb = b"".join(bytes([colour[1]]) * 8 for colour in chroma)
    cr = b"".join(bytes([colour[2]]) * 8 for colour in chroma)
    return luma + cb + cr


def _idr_frame(geometry: _Geometry) -> bytes:
    w = _BitWriter()
    _slice_header(w, idr=True, frame_num=0)
    for mb_row in range(geometry.mb_height):
        w.ue(25)  # mb_type I_PCM
        w.align_zero()
        w.raw(_pcm_samples(geometry, mb_row))
        for mb_x in range(1, geometry.mb_width):
            w.ue(2)  # mb_type I_16x16_1_0_0: horizontal prediction, no coded coefficients
            w.ue(1)  # intra_chroma_pred_mode: horizontal
            w.se(0)  # mb_qp_delta
            # coeff_token "no coefficients" of the luma DC block. Its table depends on nC, the mean
            # coefficient count of the left and upper blocks, and an I_PCM neighbour counts as 16.
            if mb_x == 1:
                w.u(6, 0b000011)  # nC = 16 (first row) or (16 + 0 + 1) >> 1 = 8
            else:
                w.u(1, 1)  # nC = 0
    return _nal(3, 5, w.rbsp())


def _p_frame(geometry: _Geometry, frame_num: int, *, scroll: bool) -> bytes:
    w = _BitWriter()
    _slice_header(w, idr=False, frame_num=frame_num)
    if not scroll:
        w.ue(geometry.mb_count)  # mb_skip_run: every macroblock copies the previous frame
        return _nal(2, 1, w.rbsp())
    # P_Skip takes a zero motion vector when its left or upper neighbour is missing, so the top row
    # and the left column are coded; the motion vector predicted for every other macroblock is theirs.
    skipped = 0
    for mb_y in range(geometry.mb_height):
        for mb_x in range(geometry.mb_width):
            if mb_x and mb_y:
                skipped += 1
                continue
            w.ue(skipped)  # mb_skip_run
            skipped = 0
            w.ue(0)  # mb_type P_L0_16x16 (one reference frame: no ref_idx)
            w.se(0)  # mvd_l0 x
            w.se(4 * _SCROLL_STEP if mb_x == mb_y == 0 else 0)  # mvd_l0 y, quarter samples
            w.ue(0)  # coded_block_pattern 0 (inter mapping): no residual, no mb_qp_delta
    if skipped:
        w.ue(skipped)
    return _nal(2, 1, w.rbsp())


def _video_frames(geometry: _Geometry, frame_count: int) -> list[bytes]:
    frames = [_idr_frame(geometry)]
    for index in range(1, frame_count):
        frames.append(_p_frame(geometry, index, scroll=index % _SCROLL_PERIOD == 0))
    return frames


# --------------------------------------------------------------------------------------------- audio


def _aac_config() -> bytes:
    """AudioSpecificConfig: AAC-LC, 48 kHz, two channels, 1024-sample frames."""
    w = _BitWriter()
    w.u(5, 2)  # audioObjectType: AAC LC
    w.u(4, _AAC_SAMPLING_INDEX)
    w.u(4, _AUDIO_CHANNELS)  # channelConfiguration
    w.u(3, 0)  # frameLengthFlag, dependsOnCoreCoder, extensionFlag
    return w.value()


def _silent_aac_frame() -> bytes:
    """raw_data_block: one channel pair element with no scale factor bands (silence), then END."""
    w = _BitWriter()
    w.u(3, 1)  # id_syn_ele: CPE
    w.u(4, 0)  # element_instance_tag
    w.u(1, 1)  # common_window
    w.u(1, 0)  # ics_reserved_bit
    w.u(2, 0)  # window_sequence: ONLY_LONG_SEQUENCE
    w.u(1, 0)  # window_shape
    w.u(6, 0)  # max_sfb: no bands, hence no section, scale factor or spectral data
    w.u(1, 0)  # predictor_data_present
    w.u(2, 0)  # ms_mask_present
    for _channel in range(2):
        w.u(8, 100)  # global_gain (unused without bands)
        w.u(3, 0)  # pulse_data_present, tns_data_present, gain_control_data_present
    w.u(3, 7)  # id_syn_ele: END
    return w.value()


# ----------------------------------------------------------------------------------------- container


def _box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


@dataclass(frozen=True)
class _Track:
    """One track's media: its samples (stored as one chunk) and how long each lasts."""

    track_id: int
    handler: bytes
    timescale: int
    sample_sizes: Sequence[int]
    durations: Sequence[tuple[int, int]]  # stts entries: (sample count, sample duration)
    sample_entry: bytes
    media_header: bytes  # vmhd or smhd
    needs_stss: bool  # True when some samples are not sync samples (only the first one is)
    width: int = 0
    height: int = 0

    @property
    def duration(self) -> int:
        return sum(count * delta for count, delta in self.durations)

    @property
    def data_size(self) -> int:
        return sum(self.sample_sizes)

    def movie_duration(self) -> int:
        return round(self.duration * _MOVIE_TIMESCALE / self.timescale)


def _mvhd(duration: int, next_track_id: int) -> bytes:
    return _full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIIIIH10x", 0, 0, _MOVIE_TIMESCALE, duration, 0x10000, 0x100),
        _UNITY_MATRIX,
        bytes(24),
        struct.pack(">I", next_track_id),
    )


def _tkhd(track: _Track) -> bytes:
    volume = 0x100 if track.handler == b"soun" else 0
    return _full_box(
        b"tkhd",
        0,
        3,  # enabled, in movie
        struct.pack(">IIIII8xhhhH", 0, 0, track.track_id, 0, track.movie_duration(), 0, 0, volume, 0),
        _UNITY_MATRIX,
        struct.pack(">II", track.width << 16, track.height << 16),
    )


def _mdia(track: _Track, chunk_offset: int) -> bytes:
    language_und = 0x55C4
    name = b"VideoHandler\x00" if track.handler == b"vide" else b"SoundHandler\x00"
    return _box(
        b"mdia",
        _full_box(
            b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, track.timescale, track.duration, language_und, 0)
        ),
        _full_box(b"hdlr", 0, 0, struct.pack(">I4s12x", 0, track.handler), name),
        _box(
            b"minf",
            track.media_header,
            _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1))),
            _stbl(track, chunk_offset),
        ),
    )


def _stbl(track: _Track, chunk_offset: int) -> bytes:
    stts = struct.pack(">I", len(track.durations)) + b"".join(struct.pack(">II", *e) for e in track.durations)
    count = len(track.sample_sizes)
    if len(set(track.sample_sizes)) == 1:
        stsz = struct.pack(">II", track.sample_sizes[0], count)
    else:
        stsz = struct.pack(f">II{count}I", 0, count, *track.sample_sizes)
    boxes = [
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), track.sample_entry),
        _full_box(b"stts", 0, 0, stts),
    ]
    if track.needs_stss:
        boxes.append(_full_box(b"stss", 0, 0, struct.pack(">II", 1, 1)))  # sample 1 is the only sync sample
    boxes += [
        _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, count, 1)),
        _full_box(b"stsz", 0, 0, stsz),
        _full_box(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset)),
    ]
    return _box(b"stbl", *boxes)


def _avc1(width: int, height: int, sps: bytes, pps: bytes) -> bytes:
    avcc = _box(
        b"avcC",
        bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1]),  # version, profile, compat, level, 4-byte lengths
        struct.pack(">H", len(sps)),
        sps,
        bytes([1]),
        struct.pack(">H", len(pps)),
        pps,
    )
    return _box(
        b"avc1",
        struct.pack(">6xH16xHHIIIH32xHh", 1, width, height, 0x480000, 0x480000, 0, 1, 0x18, -1),
        avcc,
    )


def _descriptor(tag: int, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return bytes([tag, len(payload)]) + payload


def _mp4a(track_id: int, frame_size: int) -> bytes:
    bitrate = frame_size * 8 * _AUDIO_RATE // _AAC_FRAME_SAMPLES
    decoder_config = _descriptor(
        0x04,
        struct.pack(">BB", 0x40, 0x15),  # MPEG-4 audio, audio stream
        frame_size.to_bytes(3, "big"),  # bufferSizeDB
        struct.pack(">II", bitrate, bitrate),
        _descriptor(0x05, _aac_config()),
    )
    es = _descriptor(0x03, struct.pack(">HB", track_id, 0), decoder_config, _descriptor(0x06, b"\x02"))
    return _box(
        b"mp4a",
        struct.pack(">6xH8xHHHHI", 1, _AUDIO_CHANNELS, 16, 0, 0, _AUDIO_RATE << 16),
        _full_box(b"esds", 0, 0, es),
    )


# ------------------------------------------------------------------------------------------ assembly


@dataclass(frozen=True)
class _Movie:
    """A movie split where the ``mdat`` header goes: ``head`` + mdat header + ``payload``."""

    head: bytes  # ftyp + moov
    payload: bytes  # the mdat contents: every track's samples


def _video_track(width: int, height: int, fps: int, frame_count: int) -> tuple[_Track, bytes]:
    geometry = _Geometry(width, height)
    frames = [struct.pack(">I", len(nal)) + nal for nal in _video_frames(geometry, frame_count)]
    track = _Track(
        track_id=1,
        handler=b"vide",
        timescale=fps * _VIDEO_TIMESCALE_PER_FPS,
        sample_sizes=[len(frame) for frame in frames],
        durations=[(frame_count, _VIDEO_TIMESCALE_PER_FPS)],
        sample_entry=_avc1(width, height, _sps(geometry, fps), _pps()),
        media_header=_full_box(b"vmhd", 0, 1, bytes(8)),
        needs_stss=frame_count > 1,
        width=width,
        height=height,
    )
    return track, b"".join(frames)


def _audio_track(total_samples: int) -> tuple[_Track, bytes]:
    frame = _silent_aac_frame()
    full, rest = divmod(total_samples, _AAC_FRAME_SAMPLES)
    durations = [(full, _AAC_FRAME_SAMPLES)] if full else []
    if rest:
        durations.append((1, rest))  # the last frame is trimmed to end with the video
    count = full + (1 if rest else 0)
    track = _Track(
        track_id=2,
        handler=b"soun",
        timescale=_AUDIO_RATE,
        sample_sizes=[len(frame)] * count,
        durations=durations,
        sample_entry=_mp4a(2, len(frame)),
        media_header=_full_box(b"smhd", 0, 0, bytes(4)),
        needs_stss=False,
    )
    return track, frame * count


def _head(tracks: Sequence[_Track], data_offset: int) -> bytes:
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")
    traks = []
    offset = data_offset
    for track in tracks:
        traks.append(_box(b"trak", _tkhd(track), _mdia(track, offset)))
        offset += track.data_size
    duration = max(track.movie_duration() for track in tracks)
    return ftyp + _box(b"moov", _mvhd(duration, len(tracks) + 1), *traks)


@lru_cache(maxsize=32)
def _movie(width: int, height: int, duration: float, fps: int, audio: bool, mdat_header_size: int) -> _Movie:
    _validate(width, height, duration, fps)
    frame_count = max(1, round(duration * fps))
    parts = [_video_track(width, height, fps, frame_count)]
    if audio:
        parts.append(_audio_track(round(frame_count * _AUDIO_RATE / fps)))
    tracks = [track for track, _ in parts]
    head_size = len(_head(tracks, 0))  # chunk offsets are fixed-width, so the size does not change
    head = _head(tracks, head_size + mdat_header_size)
    return _Movie(head=head, payload=b"".join(data for _, data in parts))


def _validate(width: int, height: int, duration: float, fps: int) -> None:
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 2 or value % 2:
            raise ValueError(f"{name} must be an even integer >= 2, got {value!r}")
    if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= 240:
        raise ValueError(f"fps must be an integer between 1 and 240, got {fps!r}")
    if not 0 < duration * fps < 1_000_000:
        raise ValueError(f"duration must be positive and hold fewer than 1,000,000 frames, got {duration!r}")
    _Geometry(width, height).level_idc(fps)  # raises when no H.264 level allows the frame size


def build_mp4(*, width: int, height: int, duration: float, fps: int = 24, audio: bool = True) -> bytes:
    """A playable MP4: H.264 video of ``width`` x ``height`` and, if ``audio``, a silent AAC-LC track.

    The video lasts ``round(duration * fps)`` frames (at least one). Equal arguments give equal bytes.
    Raises :class:`ValueError` for odd or non-positive sizes, a bad ``fps`` or ``duration``, or a frame
    too large for H.264 level 5.2.

    Example::

        data = build_mp4(width=1920, height=1080, duration=8, audio=True)
    """
    movie = _movie(width, height, float(duration), fps, audio, 8)
    return movie.head + struct.pack(">I4s", 8 + len(movie.payload), b"mdat") + movie.payload


# ---------------------------------------------------------------------------------- synthetic stream


def _synthetic_movie() -> _Movie:
    return _movie(SYNTHETIC_WIDTH, SYNTHETIC_HEIGHT, float(SYNTHETIC_DURATION), 24, True, 16)


def synthetic_mp4_min_size() -> int:
    """The smallest size :func:`synthetic_mp4_chunks` accepts: the unpadded synthetic video."""
    movie = _synthetic_movie()
    return len(movie.head) + 16 + len(movie.payload)


def _synthetic_segments(size: int) -> Sequence[bytes]:
    """The stream's bytes before its zero padding (the padding runs to ``size``)."""
    minimum = synthetic_mp4_min_size()
    if isinstance(size, bool) or not isinstance(size, int) or size < minimum:
        raise ValueError(f"size must be an integer >= {minimum} bytes (the base video), got {size!r}")
    movie = _synthetic_movie()
    mdat_header = struct.pack(">I4sQ", 1, b"mdat", size - len(movie.head))  # 64-bit box size
    return (movie.head, mdat_header, movie.payload)


def synthetic_mp4_slice(size: int, start: int, end: int) -> bytes:
    """Bytes ``[start, end)`` of the ``size``-byte synthetic MP4, without producing what precedes them.

    Equal to the same slice of ``b"".join(synthetic_mp4_chunks(size))``; serves HTTP Range requests.
    Raises :class:`ValueError` unless ``0 <= start <= end <= size`` (and for a too small ``size``).
    """
    segments = _synthetic_segments(size)
    if not 0 <= start <= end <= size:
        raise ValueError(f"invalid range [{start}, {end}) for a {size}-byte stream")
    padding_start = sum(len(segment) for segment in segments)
    if start >= padding_start:
        return bytes(end - start)
    out = bytearray()
    position = 0
    for segment in segments:
        lo, hi = max(start, position), min(end, position + len(segment))
        if lo < hi:
            out += segment[lo - position : hi - position]
        position += len(segment)
    if end > position:
        out += bytes(end - max(start, position))
    return bytes(out)


def synthetic_mp4_chunks(size: int, *, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """A valid MP4 (:data:`SYNTHETIC_WIDTH` x :data:`SYNTHETIC_HEIGHT`, :data:`SYNTHETIC_DURATION` s)
    padded with zero bytes inside its ``mdat`` to exactly ``size`` bytes, yielded in chunks.

    Never holds more than one chunk beyond the small base video. Raises :class:`ValueError` when
    ``size`` is below :func:`synthetic_mp4_min_size` or ``chunk_size`` is not positive; both are
    checked before the first chunk is produced.

    Example::

        with open("big.mp4", "wb") as sink:
            for chunk in synthetic_mp4_chunks(1 << 30):
                sink.write(chunk)
    """
    _synthetic_segments(size)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    return (
        synthetic_mp4_slice(size, start, min(start + chunk_size, size))
        for start in range(0, size, chunk_size)
    )
