"""Writes the document fixtures with the tools people make such files with:
fpdf2 for PDF and python-docx for DOCX (`pip install fpdf2 python-docx`). The
e-mail fixtures (`.eml`, `.mbox`) are written by hand. Output is committed."""
from fpdf import FPDF
import docx

pdf = FPDF()
pdf.set_title("Quarterly report")
pdf.set_author("Ann")
pdf.set_font("Helvetica", size=14)
pdf.add_page()
pdf.cell(text="Q3 sales")
pdf.ln(12)
pdf.set_font("Helvetica", size=11)
pdf.cell(text="Sales rose 12% in Lyon.")
pdf.add_page()  # a page without text: no row
pdf.add_page()
pdf.cell(text="Costs fell in Paris.")
pdf.output("report.pdf")

untitled = FPDF()
untitled.set_font("Helvetica", size=11)
untitled.add_page()
untitled.cell(text="Only one page.")
untitled.output("untitled.pdf")

d = docx.Document()
d.core_properties.title = "Quarterly report"
d.add_heading("Q3 sales", level=1)
p = d.add_paragraph("Sales rose ")
p.add_run("12%").bold = True
p.add_run(" in Lyon.")
p = d.add_paragraph("Paris\tflat")
p.add_run().add_break()
p.add_run("next line")
table = d.add_table(rows=2, cols=2)
for r, cells in enumerate([("city", "sales"), ("Lyon", "12")]):
    for c, text in enumerate(cells):
        table.cell(r, c).text = text
d.add_paragraph("")
d.add_paragraph("The end.")
d.save("report.docx")

u = docx.Document()
u.core_properties.title = ""
u.add_heading("Minutes", level=1)
u.add_paragraph("Nothing decided.")
u.save("minutes.docx")
