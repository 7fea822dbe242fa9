"""The patient's page for a planner offer (/p/s/<token>, action "offer").

GET shows the offered date and time; accepting or declining is a POST from the page (link
scanners never book). Accepting books through the booking service; if the time was taken
meanwhile the page says so plainly and the coordinator sees a fresh proposal.
"""

from __future__ import annotations

from django.shortcuts import render

from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.models import CenterSettings, PlanProposal, ProposalStatus
from scheduling.world import center_tz


def offer(request, proposal_id: int, token: str):
    from scheduling.services import planner

    center = CenterSettings.load()
    p = PlanProposal.objects.select_related("patient", "protocol").filter(pk=proposal_id).first()
    ctx = {"center": center, "token": token, "proposal": p}
    if p is None or p.start is None:
        ctx["state"] = "gone"
        return render(request, "patients/offer.html", ctx, status=410)
    ctx["local_start"] = p.start.astimezone(center_tz())
    status = 200
    if request.method == "POST" and p.status == ProposalStatus.SENT:
        intent = request.POST.get("intent", "")
        try:
            if intent == "accept":
                p = planner.book_proposal(proposal=p, actor_label="patient link", accepted=True)
            elif intent == "decline":
                p = planner.decline_proposal(proposal=p)
            else:
                ctx["problem"] = "Please use the buttons on the page."
                status = 400
        except BookingConflict:
            ctx["state"] = "taken"
            return render(request, "patients/offer.html", ctx, status=409)
        except SchedulingError:
            ctx["state"] = "call"
            return render(request, "patients/offer.html", ctx, status=409)
    ctx["proposal"] = p
    ctx["state"] = {
        ProposalStatus.SENT: "open",
        ProposalStatus.ACCEPTED: "accepted",
        ProposalStatus.DECLINED: "declined",
    }.get(p.status, "gone")
    if ctx["state"] == "accepted" and p.session_id:
        from patients import links

        ctx["manage_path"] = links.path_for(p.session_id, links.MANAGE)
    return render(request, "patients/offer.html", ctx, status=status)
