"""One place that turns domain errors into HTTP answers (409 conflict or state, 403 not
permitted, 400 invalid).

Every 400 has the shape `{field: [messages]}` (DESIGN §8): a malformed JSON body or a
validation error not tied to a field lands under `non_field_errors`.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from scheduling.exceptions import BookingConflict, NotPermitted, SchedulingError


def exception_handler(exc, context):
    if isinstance(exc, BookingConflict):
        return Response(
            {
                # a subclass may name the kind of conflict (a waitlist offer: "taken", ...)
                "code": getattr(exc, "code", None) or "conflict",
                "detail": str(exc),
                "conflicts": exc.conflicts,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, NotPermitted):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, SchedulingError):
        return Response(exc.as_field_errors(), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        body = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ParseError):
        return Response({"non_field_errors": [str(exc.detail)]}, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, DrfValidationError)
        and not isinstance(response.data, dict)
    ):
        response.data = {"non_field_errors": response.data}
    return response
