"""HL7 v2: reading ORU^R01 and ADT^A04/A08/A31 messages and answering them with ACKs."""
