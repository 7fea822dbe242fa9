"""Operations analytics: what the infusion day really was, measured on the actual times the
lifecycle transitions record (arrived, seated, infusion started, ended, discharged)."""
