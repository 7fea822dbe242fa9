"""FHIR R4 for other systems: read/search Patient, Appointment, Slot, Schedule; a transaction of
Patient and Observation resources applied through the same path as the HL7 feed. Resources are
built and validated with fhir.resources' R4B models."""
