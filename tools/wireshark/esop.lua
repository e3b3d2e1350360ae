-- SPDX-License-Identifier: MIT
-- Wireshark/tshark dissector for ESOP v1, the EdgeSteer Offload Protocol
-- (docs/PROTOCOL.md). Use:  tshark -X lua_script:tools/wireshark/esop.lua -r capture.pcap
-- or copy it into ~/.local/lib/wireshark/plugins/. ESOP inside GTP-U is found
-- through Wireshark's own GTP dissector, which hands the inner IP to the stack.

local esop = Proto("esop", "EdgeSteer Offload Protocol")

local types = { [1] = "OFFLOAD_REQ", [2] = "TENSOR", [3] = "DECISION", [4] = "RESULT", [5] = "TELEMETRY" }
local kinds = { [0] = "LOCAL", [1] = "EDGE", [2] = "CLOUD" }

local f = {
	magic = ProtoField.uint16("esop.magic", "Magic", base.HEX),
	version = ProtoField.uint8("esop.version", "Version"),
	type = ProtoField.uint8("esop.type", "Type", base.DEC, types),
	flags = ProtoField.uint8("esop.flags", "Flags", base.HEX),
	last = ProtoField.bool("esop.flags.last_fragment", "LAST_FRAGMENT", 8, nil, 0x01),
	early = ProtoField.bool("esop.flags.early_exit_ok", "EARLY_EXIT_OK", 8, nil, 0x02),
	reserved = ProtoField.uint8("esop.flags.reserved", "Reserved", base.HEX, nil, 0xfc),
	hdr_len = ProtoField.uint8("esop.hdr_len", "Header length (words)"),
	app_id = ProtoField.uint16("esop.app_id", "Application id"),
	device_id = ProtoField.uint32("esop.device_id", "Device id"),
	task_id = ProtoField.uint32("esop.task_id", "Task id"),
	layer = ProtoField.uint16("esop.layer", "Layer"),
	snr_qdb = ProtoField.int16("esop.snr_qdb", "Uplink SNR (0.25 dB)"),
	total_len = ProtoField.uint32("esop.total_len", "Total tensor bytes"),
	frag_off = ProtoField.uint32("esop.frag_off", "Fragment offset"),
	deadline_us = ProtoField.uint32("esop.deadline_us", "Deadline (us)"),
	options = ProtoField.bytes("esop.options", "Options"),
	payload_len = ProtoField.uint32("esop.payload_len", "Payload length"),
	payload = ProtoField.bytes("esop.payload", "Payload"),
	target_kind = ProtoField.uint8("esop.decision.target_kind", "Target kind", base.DEC, kinds),
	server = ProtoField.uint8("esop.decision.server", "Server"),
	split_layer = ProtoField.uint16("esop.decision.split_layer", "Split layer"),
	exit_point = ProtoField.uint8("esop.decision.exit_point", "Exit point"),
	rate_kbps = ProtoField.uint32("esop.decision.rate_kbps", "Rate (kbit/s)"),
	policy_epoch = ProtoField.uint32("esop.decision.policy_epoch", "Policy epoch"),
}
esop.fields = f

local e_short = ProtoExpert.new("esop.short", "Datagram shorter than the 32-byte header",
	expert.group.MALFORMED, expert.severity.ERROR)
local e_magic = ProtoExpert.new("esop.bad_magic", "Magic is not 0xE50F", expert.group.MALFORMED, expert.severity.ERROR)
local e_hdr = ProtoExpert.new("esop.bad_hdr_len", "hdr_len < 8 or past the datagram",
	expert.group.MALFORMED, expert.severity.ERROR)
esop.experts = { e_short, e_magic, e_hdr }

local port_pref = 7447
esop.prefs.port = Pref.uint("UDP port", port_pref, "UDP destination port of ESOP")

function esop.dissector(buf, pinfo, tree)
	pinfo.cols.protocol = "ESOP"
	local t = tree:add(esop, buf(), "EdgeSteer Offload Protocol")
	if buf:len() < 32 then
		t:add_proto_expert_info(e_short)
		return
	end
	t:add(f.magic, buf(0, 2))
	if buf(0, 2):uint() ~= 0xE50F then
		t:add_proto_expert_info(e_magic)
	end
	t:add(f.version, buf(2, 1))
	t:add(f.type, buf(3, 1))
	local ft = t:add(f.flags, buf(4, 1))
	ft:add(f.last, buf(4, 1))
	ft:add(f.early, buf(4, 1))
	ft:add(f.reserved, buf(4, 1))
	t:add(f.hdr_len, buf(5, 1))
	t:add(f.app_id, buf(6, 2))
	t:add(f.device_id, buf(8, 4))
	t:add(f.task_id, buf(12, 4))
	t:add(f.layer, buf(16, 2))
	t:add(f.snr_qdb, buf(18, 2))
	t:add(f.total_len, buf(20, 4))
	t:add(f.frag_off, buf(24, 4))
	t:add(f.deadline_us, buf(28, 4))

	local ty = buf(3, 1):uint()
	local hlen = buf(5, 1):uint() * 4
	pinfo.cols.info = string.format("%s device=%u app=%u task=%u",
		types[ty] or ("type " .. ty), buf(8, 4):uint(), buf(6, 2):uint(), buf(12, 4):uint())
	if hlen < 32 or hlen > buf:len() then
		t:add_proto_expert_info(e_hdr)
		return
	end
	if hlen > 32 then
		t:add(f.options, buf(32, hlen - 32))
	end
	local plen = buf:len() - hlen
	t:add(f.payload_len, plen):set_generated()
	if plen == 0 then
		return
	end
	if ty == 3 and plen >= 16 then
		local d = t:add(f.payload, buf(hlen, plen))
		d:add(f.target_kind, buf(hlen, 1))
		d:add(f.server, buf(hlen + 1, 1))
		d:add(f.split_layer, buf(hlen + 2, 2))
		d:add(f.exit_point, buf(hlen + 4, 1))
		d:add(f.rate_kbps, buf(hlen + 8, 4))
		d:add(f.policy_epoch, buf(hlen + 12, 4))
	else
		t:add(f.payload, buf(hlen, plen))
	end
end

DissectorTable.get("udp.port"):add(port_pref, esop)
