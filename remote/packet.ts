// fsutil's Packet (types/wire.proto): its type field's values, shared by both directions.
export const PACKET_STAT = 0;
export const PACKET_REQ = 1;
export const PACKET_DATA = 2;
export const PACKET_FIN = 3;
export const PACKET_ERR = 4;
